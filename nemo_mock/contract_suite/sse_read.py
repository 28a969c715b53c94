"""Reading /run_sse as raw bytes: every frame with its arrival time, under a deadline.

Parsing follows the SSE specification (lines end in CRLF, LF or CR; a blank line ends a frame),
so every framing the specification allows is read; what the documents or ADK prefer beyond it
is recorded in `quirks` for the SHOULD checks to judge. A heartbeat is any comment line, an
empty `data:` frame or an `event: heartbeat` frame (v1.9 names both "heartbeat" and "empty
data:"). httpx-sse hides comment lines, hence the raw reading.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .target import Target

_LINE_END = re.compile(rb"\r\n|\r|\n")
_FRAME_END = re.compile(rb"(?:\r\n|\r|\n){2}")


@dataclass
class Item:
    kind: str  # event | heartbeat | bad (a data payload that is neither empty nor a JSON object)
    at: float  # real seconds since the request was sent
    raw: bytes
    data: Any = None


@dataclass
class Stream:
    status: int
    content_type: str
    items: list[Item] = field(default_factory=list)
    quirks: list[str] = field(default_factory=list)  # allowed by SSE, not what ADK sends
    envelope: Any = None
    closed: bool = False
    stalled: str = ""
    tail: bytes = b""
    seconds: float = 0.0

    @property
    def events(self) -> list[dict[str, Any]]:
        return [i.data for i in self.items if i.kind == "event"]

    @property
    def heartbeats(self) -> list[Item]:
        return [i for i in self.items if i.kind == "heartbeat"]

    def texts(self) -> list[str]:
        out = []
        for ev in self.events:
            for part in (ev.get("content") or {}).get("parts") or []:
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, str) and text.strip():
                    out.append(text)
        return out


def read_stream(
    t: Target, token: str | None, payload: Any, deadline: float = 60.0, gap: float = 30.0
) -> Stream:
    """POST /run_sse and read the answer: a JSON envelope, or every frame as it arrives."""
    t.wait_pace()
    start = time.monotonic()
    headers = {**t.headers(token), "Accept": "text/event-stream"}
    timeout = httpx.Timeout(t.timeout, read=gap)
    with t.http.stream("POST", "/run_sse", headers=headers, json=payload, timeout=timeout) as r:
        ctype = r.headers.get("content-type", "")
        out = Stream(r.status_code, ctype)
        if "text/event-stream" not in ctype:
            r.read()
            t.note(f"POST /run_sse -> HTTP {r.status_code} ({ctype}) {r.text[:120]!r}")
            try:
                out.envelope = r.json()
            except ValueError:
                out.envelope = None
            return out
        buf = b""
        try:
            for chunk in r.iter_raw():
                if b"\r" in chunk and not any(q.startswith("CR") for q in out.quirks):
                    out.quirks.append("CR line endings (ADK frames use LF only)")
                buf += chunk
                while (m := _FRAME_END.search(buf)) is not None:
                    block, buf = buf[: m.start()], buf[m.end() :]
                    parse_block(out, block, time.monotonic() - start)
                if time.monotonic() - start > deadline:
                    out.stalled = f"stream still open after the {deadline:g} s deadline"
                    break
            else:
                out.closed = True
        except httpx.ReadTimeout:
            out.stalled = f"nothing received for {gap:g} s"
        out.tail = buf
    out.seconds = time.monotonic() - start
    t.note(
        f"POST /run_sse -> HTTP {out.status} stream: {len(out.events)} events, "
        f"{len(out.heartbeats)} heartbeats, {out.seconds:.2f} s"
        + (f", {out.stalled}" if out.stalled else "")
    )
    return out


def parse_block(out: Stream, block: bytes, at: float) -> None:
    if b"\r" in block:
        out.quirks.append(f"CR in a frame (ADK frames use LF only): {block[:60]!r}")
    data_lines: list[bytes] = []
    event = b""
    for line in _LINE_END.split(block):
        if not line:
            continue
        if line.startswith(b":"):
            out.items.append(Item("heartbeat", at, line))
            continue
        name, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if name == b"data":
            data_lines.append(value)
        elif name == b"event":
            event = value.strip()
            if event != b"heartbeat":
                out.quirks.append(f"event: line (ADK sends none): {line[:60]!r}")
        elif name in (b"id", b"retry"):
            out.quirks.append(f"{name.decode()}: line (ADK sends none)")
        else:
            out.quirks.append(f"a line that is no SSE field: {line[:60]!r}")
    if not data_lines and event != b"heartbeat":
        return
    if len(data_lines) > 1:
        out.quirks.append(f"a frame with several data: lines: {block[:80]!r}")
    raw = b"\n".join(data_lines)
    if not raw.strip() or event == b"heartbeat":
        out.items.append(Item("heartbeat", at, raw))
        return
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    out.items.append(Item("event" if isinstance(data, dict) else "bad", at, raw, data))
