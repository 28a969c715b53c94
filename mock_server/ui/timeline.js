/* A session's draft as a picture: one row per track, one box per segment, on a seconds axis.
 * The draft format is the seeds' (t tracks, tt type 0 video / 1 audio / 7 text, sg segments,
 * d duration ms, m metadata; ASSUMPTION: st start ms, m.name, m.text, m.volume 0..1), the same
 * the text summary describes. Used by the dashboard (/_mock/ui) and the claim page.
 * NemoTimeline.svg(draft) returns inline SVG markup (no namespace URL needed inside HTML).
 */
(function (root) {
  "use strict";
  var LABELS = { 0: "Video", 1: "BGM", 7: "Title" };
  var COLORS = { 0: "#3b82f6", 1: "#10b981", 7: "#f59e0b" };

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function num(v, dflt) {
    var n = Number(v);
    return isFinite(n) ? n : dflt;
  }

  function segName(tt, seg) {
    var m = seg && typeof seg.m === "object" && seg.m ? seg.m : {};
    var name = tt === 7 ? (m.text || m.name || "") : (m.name || "untitled");
    if (tt === 1 && typeof m.volume === "number") {
      name += " (" + Math.round(m.volume * 100) + "%)";
    }
    return name;
  }

  function svg(draft, opts) {
    opts = opts || {};
    var width = opts.width || 640;
    var tracks = draft && Array.isArray(draft.t) ? draft.t : [];
    if (!tracks.length) {
      return '<svg class="timeline empty" width="' + width + '" height="34" role="img" ' +
        'aria-label="empty timeline"><text x="8" y="21" class="tl-empty">' +
        "Timeline (0 tracks): empty</text></svg>";
    }
    var end = num(draft.d, 0);
    tracks.forEach(function (t) {
      (Array.isArray(t.sg) ? t.sg : []).forEach(function (s) {
        end = Math.max(end, num(s.st, 0) + num(s.d, 0));
      });
    });
    end = Math.max(end, 1000);
    var left = 78, right = width - 10, rowH = 28, top = 22;
    var scale = (right - left) / end;
    var h = top + rowH * tracks.length + 8;
    var out = ['<svg class="timeline" width="' + width + '" height="' + h + '" role="img" ' +
      'aria-label="timeline with ' + tracks.length + ' tracks">'];
    var step = end <= 15000 ? 1000 : end <= 60000 ? 5000 : end <= 300000 ? 30000 : 60000;
    for (var ms = 0; ms <= end; ms += step) {
      var x = left + ms * scale;
      out.push('<line class="tl-tick" x1="' + x.toFixed(1) + '" y1="' + (top - 4) + '" x2="' +
        x.toFixed(1) + '" y2="' + (h - 6) + '"/>' + '<text class="tl-sec" x="' + x.toFixed(1) +
        '" y="' + (top - 8) + '" text-anchor="middle">' + ms / 1000 + "s</text>");
    }
    tracks.forEach(function (t, i) {
      var tt = num(t && t.tt, 0);
      var y = top + i * rowH;
      var label = LABELS[tt] || "Track " + tt;
      out.push('<g class="track" data-tt="' + tt + '"><text class="tl-label" x="4" y="' +
        (y + 17) + '">' + (i + 1) + ". " + esc(label) + "</text>");
      (Array.isArray(t.sg) ? t.sg : []).forEach(function (s) {
        var st = num(s.st, 0), d = num(s.d, 0);
        var x = left + st * scale, w = Math.max(3, d * scale);
        var name = segName(tt, s);
        var tip = label + ": " + name + " (" + st / 1000 + "-" + (st + d) / 1000 + "s)";
        out.push('<g class="segment"><title>' + esc(tip) + "</title>" +
          '<rect x="' + x.toFixed(1) + '" y="' + (y + 3) + '" width="' + w.toFixed(1) +
          '" height="' + (rowH - 6) + '" rx="4" fill="' + (COLORS[tt] || "#6b7280") + '"/>' +
          '<text class="tl-seg" x="' + (x + 5).toFixed(1) + '" y="' + (y + 18) + '">' +
          esc(name.length > Math.floor(w / 7) ? name.slice(0, Math.max(0, Math.floor(w / 7) - 1)) +
            "…" : name) + "</text></g>");
      });
      out.push("</g>");
    });
    out.push("</svg>");
    return out.join("");
  }

  root.NemoTimeline = { svg: svg };
})(this);
