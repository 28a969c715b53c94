/* The nemo-mock dashboard: polls documented control-plane endpoints (contracts/
 * control-openapi.yaml) and draws what it gets. No framework, no build step, nothing fetched from
 * elsewhere. Endpoints: GET journal?since=N, GET overview, GET faults, GET config,
 * POST clock/advance, POST/DELETE faults, DELETE faults/{id}, PATCH config.
 */
(function () {
  "use strict";
  var BASE = "/_mock/";
  var POLL_MS = 700;
  var MAX_ROWS = 300;
  var lastSeq = 0;
  var settingsLoaded = false;

  function $(id) { return document.getElementById(id); }

  function esc(s) {
    return String(s === undefined || s === null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function call(method, path, body) {
    var init = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(BASE + path, init).then(function (r) {
      return r.json().then(function (env) {
        if (env.code !== 0) { throw new Error(env.message || "code " + env.code); }
        return env.data;
      });
    });
  }

  function status(text, bad) {
    var el = $("status");
    el.textContent = text;
    el.className = "status" + (bad ? " error" : "");
  }

  function duration(s) {
    s = Math.round(s);
    if (s < 120) { return s + "s"; }
    if (s < 7200) { return Math.floor(s / 60) + "m " + (s % 60) + "s"; }
    return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  }

  function clockText(clock) {
    var d = new Date(clock.now * 1000);
    return d.toISOString().replace("T", " ").slice(0, 19) + " (×" + clock.time_scale + ")";
  }

  // -- journal ------------------------------------------------------------------------------
  var KIND_MARK = { heartbeat: "♥", text: "T", partial: "t", tool_call: "ƒ", tool_result: "✓",
    error: "✕", no_content: "∅" };

  function streamCell(e) {
    var turn = e.turn;
    if (!turn) { return ""; }
    var parts = [];
    Object.keys(turn.frames || {}).forEach(function (k) {
      if (turn.frames[k]) { parts.push(esc(turn.frames[k]) + " " + esc(k)); }
    });
    var end = turn.stream_end ? turn.stream_end : (turn.outcome === "running" ? "running" : "");
    if (turn.silent) { end = "silent close"; }
    return '<span class="muted">' + esc(turn.kind) + "</span> " + parts.join(", ") +
      (end ? ' · <b class="' + (end === "running" ? "" : end === "closed" ? "" : "bad") + '">' +
        esc(end) + "</b>" : "");
  }

  function journalRow(e) {
    var answer = e.dropped ? '<span class="bad">dropped</span>' :
      esc(e.status) + " · " + (e.turn ? "SSE" : "code " + esc(e.code));
    if (e.state_version !== undefined) { answer += " · state v" + esc(e.state_version); }
    if (e.render_status !== undefined) { answer += " · render " + esc(e.render_status); }
    var bad = e.code !== null && e.code !== undefined && e.code !== 0;
    var faults = (e.faults || []).map(function (f) { return esc(f.type); }).join(", ");
    var tr = document.createElement("tr");
    tr.className = "new entry";
    tr.setAttribute("data-seq", e.seq);
    tr.setAttribute("data-path", e.path);
    tr.innerHTML = "<td>" + esc(e.seq) + "</td><td>" + esc(new Date(e.vtime * 1000)
      .toISOString().slice(11, 19)) + "</td><td>" + esc(e.method) + " " + esc(e.path) +
      "</td><td" + (bad ? ' class="bad"' : "") + ">" + answer + "</td><td class=\"stream\">" +
      streamCell(e) + '</td><td class="fault">' + faults + "</td>";
    return tr;
  }

  var live = {};  // seq -> entry still running (a turn), redrawn until it ends

  function pollJournal() {
    return call("GET", "journal?since=" + lastSeq).then(function (data) {
      var body = $("journal").tBodies[0];
      data.entries.forEach(function (e) {
        lastSeq = Math.max(lastSeq, e.seq);
        body.insertBefore(journalRow(e), body.firstChild);
        if (e.turn && !e.turn.stream_end) { live[e.seq] = true; }
      });
      while (body.rows.length > MAX_ROWS) { body.deleteRow(body.rows.length - 1); }
      $("journal-count").textContent = "(" + lastSeq + " so far" +
        (data.dropped ? ", " + data.dropped + " dropped" : "") + ")";
    });
  }

  function refreshLive() {
    var seqs = Object.keys(live);
    if (!seqs.length) { return Promise.resolve(); }
    var since = Math.min.apply(null, seqs) - 1;
    return call("GET", "journal?since=" + since + "&path=/run_sse").then(function (data) {
      data.entries.forEach(function (e) {
        if (!live[e.seq]) { return; }
        var row = document.querySelector('#journal tr[data-seq="' + e.seq + '"]');
        if (row) { row.cells[4].innerHTML = streamCell(e); }
        if (e.turn && e.turn.stream_end) { delete live[e.seq]; }
      });
    });
  }

  // -- overview ------------------------------------------------------------------------------
  function drawOverview(o) {
    $("clock").textContent = clockText(o.clock);
    var box = $("sessions");
    if (!o.sessions.length) {
      box.innerHTML = '<p class="muted">No session yet.</p>';
    } else {
      box.innerHTML = o.sessions.map(function (s) {
        return '<div class="session" data-session="' + esc(s.session_id) + '" data-version="' +
          esc(s.version) + '"><h3>' + esc(s.name) + ' <span class="muted">' +
          esc(s.session_id) + " · v" + esc(s.version) + " · " + esc(s.turns) + " turn(s) · user " +
          esc(s.user_id) + "</span></h3>" + NemoTimeline.svg(s.draft, { width: 900 }) +
          '<div class="summary">' + esc(s.summary) + "</div></div>";
      }).join("");
    }
    $("users").tBodies[0].innerHTML = o.users.map(function (u) {
      return '<tr data-user="' + esc(u.user_id) + '"><td>' + esc(u.user_id) + "</td><td>" +
        (u.registered ? "registered" : "anonymous") + '</td><td class="available">' +
        esc(u.available) + "</td><td>" + esc(u.frozen) + "</td><td>" + esc(u.total) + "</td></tr>";
    }).join("");
    $("renders").tBodies[0].innerHTML = o.renders.map(function (r) {
      return '<tr data-render="' + esc(r.id) + '"><td>' + esc(r.id) + "</td><td>" +
        esc(r.session_id) + '</td><td><span class="badge render-status ' + esc(r.status) + '">' +
        esc(r.status) + "</span>" + (r.stalled ? " (stalled)" : "") + "</td><td>" +
        Math.round(r.progress * 100) + "%</td></tr>";
    }).join("");
  }

  // -- faults and settings ---------------------------------------------------------------------
  function drawFaults(data) {
    $("faults").tBodies[0].innerHTML = data.rules.map(function (r) {
      var m = r.match || {};
      return '<tr data-rule="' + esc(r.id) + '"><td>' + esc(r.id) + "</td><td>" +
        esc((m.method || "*") + " " + (m.path || "*")) + "</td><td>" + esc(r.action.type) +
        (r.times !== null ? " ×" + esc(r.times) : "") + "</td><td>" + esc(r.applied) +
        '</td><td><button class="remove" data-rule="' + esc(r.id) + '">remove</button></td></tr>';
    }).join("") || '<tr><td colspan="5" class="muted">no rules</td></tr>';
  }

  function loadSettings() {
    return call("GET", "config").then(function (c) {
      var f = $("settings");
      f.error_status.value = c.error_status;
      f.silent_close_rate.value = c.silent_close_rate;
      f.time_scale.value = c.time_scale;
      settingsLoaded = true;
    });
  }

  function tick() {
    Promise.all([
      pollJournal().then(refreshLive),
      call("GET", "overview").then(drawOverview),
      call("GET", "faults").then(drawFaults),
      settingsLoaded ? null : loadSettings(),
    ]).then(function () {
      status("live · every " + POLL_MS + " ms");
    }, function (err) {
      status("error: " + err.message, true);
    }).then(function () { setTimeout(tick, POLL_MS); });
  }

  function wire() {
    $("advance-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var s = Number($("advance-seconds").value);
      call("POST", "clock/advance", { seconds: s }).then(function (clock) {
        $("clock").textContent = clockText(clock);
        status("advanced " + duration(s));
      }, function (err) { status("error: " + err.message, true); });
    });
    $("settings").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = ev.target;
      call("PATCH", "config", {
        error_status: f.error_status.value,
        silent_close_rate: Number(f.silent_close_rate.value),
        time_scale: Number(f.time_scale.value),
      }).then(function () { status("settings applied"); },
        function (err) { status("error: " + err.message, true); });
    });
    $("fault-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var rule;
      try { rule = JSON.parse($("fault-json").value); } catch (e) {
        status("fault rule is not JSON: " + e.message, true);
        return;
      }
      call("POST", "faults", rule).then(function (r) { status("rule " + r.id + " added"); },
        function (err) { status("error: " + err.message, true); });
    });
    $("faults").addEventListener("click", function (ev) {
      var id = ev.target.getAttribute && ev.target.getAttribute("data-rule");
      if (ev.target.className !== "remove" || !id) { return; }
      call("DELETE", "faults/" + encodeURIComponent(id)).then(function () {
        status("rule " + id + " removed");
      }, function (err) { status("error: " + err.message, true); });
    });
  }

  wire();
  tick();
})();
