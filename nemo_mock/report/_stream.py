"""One SSE stream on the diagram: the frames the client got, by kind, and how the stream ended.

The turn's journal record lists each frame with its virtual time; a stream cut short (truncated,
client gone) did not deliver what the turn produced afterwards, so those frames are not drawn on
the client's rail but counted in the end label, with the state version they reached.
"""

from __future__ import annotations

from html import escape
from typing import Any

from nemo_mock.report import _axis
from nemo_mock.report._geometry import X_RAIL, X_SERVER
from nemo_mock.report._geometry import text as _t

FRAME_LABELS = {
    "text": "text",
    "partial": "partial text",
    "tool_call": "functionCall",
    "tool_result": "functionResponse",
    "error": "error frame",
    "no_content": "no content",
    "heartbeat": "heartbeat",
}


def is_stream(e: dict[str, Any]) -> bool:
    return isinstance(e.get("turn"), dict) or str(e.get("content_type", "")).startswith(
        "text/event-stream"
    )


def stream_end(e: dict[str, Any]) -> float:
    turn = e.get("turn") or {}
    for value in (turn.get("vstream_end"), e.get("vtime_end"), turn.get("vend")):
        if isinstance(value, (int, float)):
            return float(value)
    events = turn.get("events") or []
    return float(events[-1]["t"]) if events else float(e.get("vtime") or 0.0)


def split(e: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(frames the client got, frames the turn produced after its stream had ended)."""
    events = (e.get("turn") or {}).get("events") or []
    end = stream_end(e)
    cut = (e.get("turn") or {}).get("stream_end") in ("truncated", "client_gone")
    sent = [ev for ev in events if not cut or float(ev["t"]) <= end]
    return sent, [ev for ev in events if cut and float(ev["t"]) > end]


def ending(e: dict[str, Any]) -> tuple[str, str]:
    """(class, words) for how a stream ended."""
    turn = e.get("turn") or {}
    end = turn.get("stream_end")
    frames = turn.get("frames") or {}
    if end == "truncated" or turn.get("truncated"):
        return "truncated", "✂ truncated mid-frame"
    if end == "client_gone":
        return "client-gone", "client went away (turn runs on)"
    if turn.get("silent") or (
        end == "closed" and not frames.get("text") and not frames.get("error")
    ):
        return "silent", "■ silent close: no text"
    if frames.get("error"):
        return "error", "■ closed after an error frame"
    if end is None:
        return "unknown", "■ end not recorded"
    return "closed", "■ stream closed"


def draw(e: dict[str, Any], y: float, y_end: float, axis: _axis.Axis) -> str:
    turn = e.get("turn") or {}
    cls, words = ending(e)
    out = [
        f'<g class="sse" data-end="{cls}">',
        f'<rect class="activation" x="{X_SERVER - 5}" y="{y:.1f}" width="10" '
        f'height="{max(2.0, y_end - y):.1f}"/>',
        f'<line class="rail" x1="{X_RAIL}" y1="{y + 4:.1f}" x2="{X_RAIL}" y2="{y_end:.1f}"/>',
    ]
    sent, late = split(e)
    for ev in sent:
        k = str(ev.get("kind"))
        ey = axis.y(float(ev["t"]))
        label = FRAME_LABELS.get(k, k)
        if ev.get("name"):
            label += f" {ev['name']}"
        if ev.get("version") is not None:
            label += f" → state v{ev['version']}"
        tip = f"{label} at {ev['t']}"
        if k == "heartbeat":
            out.append(
                f'<circle class="frame frame-heartbeat" data-kind="heartbeat" cx="{X_RAIL}" '
                f'cy="{ey:.1f}" r="2.5"><title>{escape(tip)}</title></circle>'
            )
            continue
        out.append(
            f'<g class="frame frame-{escape(k)}" data-kind="{escape(k)}">'
            f'<line x1="{X_SERVER - 6}" y1="{ey:.1f}" x2="{X_RAIL + 6}" y2="{ey:.1f}"/>'
            f'<rect x="{X_RAIL - 5}" y="{ey - 5:.1f}" width="10" height="10" rx="2"/>'
            + _t(X_RAIL + 12, ey - 3, label, "frame-label", title=tip)
            + "</g>"
        )
    if late:
        versions = [ev["version"] for ev in late if ev.get("version") is not None]
        words += f" (the turn ran on: {len(late)} frame(s) not delivered"
        words += f", state v{versions[-1]})" if versions else ")"
    dropped_events = turn.get("events_dropped")
    if dropped_events:
        words += f" ({dropped_events} more frames not drawn)"
    counts = turn.get("frames") or {}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    out.append(
        f'<g class="end end-{cls}"><line x1="{X_RAIL - 8}" y1="{y_end:.1f}" x2="{X_SERVER}" '
        f'y2="{y_end:.1f}"/>'
        + _t(X_RAIL + 12, y_end + 12, words, "end-label", title=summary or "no frames")
        + "</g></g>"
    )
    return "".join(out)
