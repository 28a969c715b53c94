"""A run as an SVG sequence diagram on the virtual-time axis (time goes down).

Two lanes, client and emulator. Each exchange is a request arrow labelled with its sequence number,
method and path, and an answer (status and body code, the state version or render status it
carried); a stream is a rail beside the client lane with one mark per SSE frame by kind and how it
ended (closed, silent close, truncated, client gone); a dropped connection is a cross; each applied
fault is a badge. Expectations' evidence is highlighted behind the exchanges it names: red when a
MUST failed, amber when only a SHOULD did, green when it passed. Every element carries classes and
`data-` attributes (the browser tests read them).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from nemo_mock.report import _axis
from nemo_mock.report._data import evidence_seqs, status_of
from nemo_mock.report._geometry import STEP_ROW, TOP, WIDTH, X_CLIENT, X_NOTE, X_SERVER
from nemo_mock.report._geometry import text as _t
from nemo_mock.report._stream import draw as draw_stream
from nemo_mock.report._stream import is_stream, split, stream_end


def _client_name(run: dict[str, Any]) -> str:
    name = str(run.get("client") or "?").split()[-1].rsplit("/", 1)[-1]
    return "client " + (name if len(name) <= 16 else name[:15] + "…")


def _short(path: str) -> str:
    return "/".join(p if len(p) <= 14 else p[:6] + "…" for p in path.split("/"))


def _anchors(
    exchanges: Sequence[dict[str, Any]], headers: dict[int, int]
) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i, e in enumerate(exchanges):
        t = float(e.get("vtime") or 0.0)
        out.append((t, 40.0 + STEP_ROW * headers.get(i, 0)))
        if is_stream(e):
            for ev in split(e)[0]:
                if ev.get("kind") != "heartbeat":
                    out.append((max(t, float(ev["t"])), 16.0))
            out.append((max(t, stream_end(e)), 16.0))
    return out


def _severity(exp: dict[str, Any]) -> int:
    """2 for a failed MUST, 1 for a failed SHOULD, 0 otherwise."""
    if status_of(exp) != "fail":
        return 0
    return 2 if exp.get("level", "MUST") == "MUST" else 1


def _headers(steps: Sequence[dict[str, Any]], exchanges: Sequence[dict[str, Any]]) -> list[int]:
    """For each step, the index of the exchange its header sits above (len = after the last)."""
    out = []
    for s in steps:
        first = next(
            (
                i
                for i, e in enumerate(exchanges)
                if int(s.get("seq_from", 0)) < int(e.get("seq", 0))
            ),
            len(exchanges),
        )
        out.append(first)
    return out


def diagram(run: dict[str, Any], anchor_prefix: str) -> str:
    """The run's sequence diagram as an inline `<svg>` element."""
    exchanges = sorted(run.get("exchanges") or [], key=lambda e: int(e.get("seq", 0)))
    steps = run.get("steps") or []
    at = _headers(steps, exchanges)
    counts: dict[int, int] = {}
    for i in at:
        counts[i] = counts.get(i, 0) + 1
    anchors = _anchors(exchanges, counts)
    if not anchors:
        anchors = [(0.0, 40.0)]
    axis, placed = _axis.build(anchors, TOP)
    # evidence: seq -> (severity: 2 a MUST failed, 1 a SHOULD failed, 0 passed; expectation ids)
    marks: dict[int, tuple[int, list[str]]] = {}
    for exp in run.get("expectations") or []:
        severity = _severity(exp)
        for seq in evidence_seqs(exp):
            was, ids = marks.get(seq, (0, []))
            marks[seq] = (max(was, severity), [*ids, str(exp.get("id"))])
    # failed expectations that name no exchange (output, exit) are flagged on their steps
    on_steps: dict[str, list[str]] = {}
    worst: dict[str, int] = {}
    client_steps = [str(s.get("id")) for s in steps if s.get("kind") in ("say", "upload")]
    for exp in run.get("expectations") or []:
        if status_of(exp) == "fail" and not evidence_seqs(exp):
            for sid in exp.get("steps") or client_steps:
                on_steps.setdefault(str(sid), []).append(str(exp.get("id")))
                worst[str(sid)] = max(worst.get(str(sid), 0), _severity(exp))
    parts: list[str] = []
    t0 = float(exchanges[0].get("vtime") or 0.0) if exchanges else 0.0
    ys = iter(placed)
    rows: list[tuple[dict[str, Any], float, float]] = []
    for e in exchanges:
        y = next(ys)
        y_end = y
        if is_stream(e):
            for ev in split(e)[0]:
                if ev.get("kind") != "heartbeat":
                    y_end = next(ys)
            y_end = next(ys)
        rows.append((e, y, y_end))
    trailing = counts.get(len(rows), 0)
    height = axis.height + 60 + STEP_ROW * trailing
    # evidence bands first (they sit behind everything)
    for e, y, y_end in rows:
        seq = int(e.get("seq", 0))
        if seq in marks:
            severity, ids = marks[seq]
            cls = "evidence evidence-" + ("pass", "warn", "fail")[severity]
            sign = "✓" if severity == 0 else "✗"
            parts.append(
                f'<g class="{cls}" data-seq="{seq}" data-expectations="{escape(" ".join(ids))}">'
                f'<rect x="4" y="{y - 24:.1f}" width="{WIDTH - 8}" height="{y_end - y + 34:.1f}" '
                f'rx="4"/>'
                + _t(WIDTH - 10, y - 10, f"{sign} {', '.join(ids)}", "ev-label", "end")
                + "</g>"
            )
    # lanes
    parts.append(
        f'<line class="lane" x1="{X_CLIENT}" y1="{TOP - 18}" x2="{X_CLIENT}" y2="{height - 20}"/>'
        f'<line class="lane" x1="{X_SERVER}" y1="{TOP - 18}" x2="{X_SERVER}" y2="{height - 20}"/>'
        f'<rect class="lane-head" x="{X_CLIENT - 90}" y="6" width="180" height="26" rx="5"/>'
        + _t(X_CLIENT, 24, _client_name(run), "lane-label", "middle", str(run.get("client") or ""))
        + f'<rect class="lane-head" x="{X_SERVER - 70}" y="6" width="140" height="26" rx="5"/>'
        + _t(X_SERVER, 24, "emulator", "lane-label", "middle")
        + _t(8, 24, "virtual time", "axis-label")
    )
    for y0, y1, seconds in axis.breaks:
        mid = (y0 + y1) / 2
        parts.append(
            f'<g class="break"><line x1="8" y1="{mid:.1f}" x2="{WIDTH - 8}" y2="{mid:.1f}"/>'
            + _t(WIDTH - 12, mid - 3, f"⋯ {_axis.duration(seconds)} later", "break-label", "end")
            + "</g>"
        )
    # step headers
    for s, index in zip(steps, at, strict=True):
        if index < len(rows):
            y = rows[index][1] - 14 - STEP_ROW * counts[index]
        else:
            y = axis.height + 40 + STEP_ROW * (trailing - counts[index])
        counts[index] -= 1
        sid = str(s.get("id"))
        parts.append(_step(s, y, on_steps.get(sid, []), worst.get(sid, 0) == 2))
    for e, y, y_end in rows:
        parts.append(_exchange(e, y, y_end, axis, t0, anchor_prefix))
    return (
        f'<svg class="sequence" width="{WIDTH}" '
        f'height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="sequence diagram of {escape(str(run.get("id")))}">'
        + "".join(parts)
        + "</svg>"
    )


def _step(s: dict[str, Any], y: float, failed: Sequence[str] = (), must: bool = True) -> str:
    """A step's header; `failed` names the expectations without journal evidence that failed
    on it (an output or exit check): the header is then flagged with their ids (red when a MUST
    is among them, amber for SHOULDs only)."""
    words = f"step {s.get('id')}: {s.get('label', s.get('kind', ''))}"
    if s.get("kind") in ("say", "upload"):
        words += f" → exit {s.get('exit_code')}"
        if s.get("timed_out"):
            words += " (timed out)"
    output = str(s.get("output") or "").strip()
    shown = " ⏎ ".join(line for line in output.splitlines() if line.strip())
    said = f"client printed: {shown[:70]}{'…' if len(shown) > 70 else ''}" if output else ""
    if s.get("kind") in ("say", "upload") and not output:
        said = "client printed nothing"
    flag = _t(WIDTH - 12, y, "✗ " + ", ".join(failed), "ev-label", "end") if failed else ""
    return (
        f'<g class="step{(" step-fail" if must else " step-warn") if failed else ""}" '
        f'data-step="{escape(str(s.get("id")))}"'
        f' data-expectations="{escape(" ".join(failed))}">'
        f'<line x1="8" y1="{y + 5:.1f}" x2="{WIDTH - 8}" y2="{y + 5:.1f}"/>'
        + _t(10, y, words, "step-label")
        + (_t(24, y + 19, said, "step-output", title=output) if said else "")
        + flag
        + "</g>"
    )


def _exchange(
    e: dict[str, Any], y: float, y_end: float, axis: _axis.Axis, t0: float, prefix: str
) -> str:
    seq = int(e.get("seq", 0))
    status, code = e.get("status"), e.get("code")
    kind = "stream" if is_stream(e) else "call"
    dropped = bool(e.get("dropped"))
    out = [
        f'<g class="exchange {kind}{" dropped" if dropped else ""}" id="{prefix}-x{seq}" '
        f'data-seq="{seq}" data-method="{escape(str(e.get("method")))}" '
        f'data-path="{escape(str(e.get("path")))}" data-status="{escape(str(status))}" '
        f'data-code="{escape(str(code))}">',
        _t(8, y + 4, "+" + _axis.duration(float(e.get("vtime") or 0.0) - t0), "time"),
        f'<line class="req" x1="{X_CLIENT}" y1="{y:.1f}" x2="{X_SERVER - 4}" y2="{y:.1f}" '
        f'marker-end="url(#arrow)"/>',
        _t(
            (X_CLIENT + X_SERVER) / 2,
            y - 5,
            f"#{seq} {e.get('method')} {_short(str(e.get('path', '')))}",
            "req-label",
            "middle",
            str(e.get("path", "")),
        ),
    ]
    notes: list[tuple[str, str]] = []
    if dropped:
        notes.append(("dropped", "✕ connection dropped, no answer"))
        out.append(f'<text x="{X_SERVER - 14}" y="{y + 5:.1f}" class="cross">✕</text>')
    else:
        answer = f"{status} · SSE stream" if kind == "stream" else f"{status} · code {code}"
        if e.get("state_version") is not None:
            answer += f" · state v{e['state_version']}"
        if e.get("render_status") is not None:
            answer += f" · render {e['render_status']}"
        notes.append(("answer" + (" bad" if code not in (0, None) else ""), answer))
    for f in e.get("faults") or []:
        notes.append(("fault", f"⚡ fault {f.get('type')} (rule {f.get('rule', '?')})"))
    for i, (cls, words) in enumerate(notes):
        out.append(_t(X_NOTE, y + 4 + 13 * i, words, f"note {cls}"))
    if kind == "stream" and not dropped:
        out.append(draw_stream(e, y, y_end, axis))
    elif not dropped:
        out.append(
            f'<line class="res" x1="{X_SERVER}" y1="{y + 8:.1f}" x2="{X_CLIENT + 4}" '
            f'y2="{y + 8:.1f}" marker-end="url(#arrow)"/>'
        )
    out.append("</g>")
    return "".join(out)


DEFS = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true">'
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
    'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
    'class="arrowhead"/></marker></defs></svg>'
)
