"""The /run_sse stream as pure functions: a byte-level frame parser and an event classifier.

httpx-sse hides comment lines, and comments are heartbeats here, so the parser is our own. It
accepts CRLF, CR and LF line endings, frames split anywhere across chunks (a CR at the end of a
chunk waits for the next one), comments, empty ``data:`` frames, and an unterminated last frame
(delivered with ``terminated=False`` when the stream closes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

_EOL = re.compile(rb"[\r\n]")


@dataclass(frozen=True)
class Frame:
    """One parsed unit: a ``comment`` line, or a ``data`` frame (its data lines joined by LF)."""

    kind: str
    data: str
    terminated: bool = True


class SseParser:
    """Incremental: ``feed(bytes)`` returns the frames completed so far, ``close()`` the rest."""

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[str] = []
        self._has_data = False
        self._started = False

    def feed(self, chunk: bytes) -> list[Frame]:
        """Frames completed by this chunk, in order."""
        self._buf += chunk
        out: list[Frame] = []
        start = 0
        buf = self._buf
        while (match := _EOL.search(buf, start)) is not None:
            i = match.start()
            if buf[i] == 0x0D:  # CR: may be the first half of a CRLF split across chunks
                if i + 1 == len(buf):
                    break
                end = i + 2 if buf[i + 1] == 0x0A else i + 1
            else:
                end = i + 1
            self._line(buf[start:i], out)
            start = end
        self._buf = buf[start:]
        return out

    def close(self) -> list[Frame]:
        """Flush at end of stream: a pending line ends, a pending frame comes out unterminated."""
        out = self.feed(b"\n") if self._buf else []
        if self._has_data:
            out.append(Frame("data", "\n".join(self._data), terminated=False))
        self._data, self._has_data = [], False
        return out

    def _line(self, raw: bytes, out: list[Frame]) -> None:
        line = raw.decode("utf-8", errors="replace")
        if not self._started:
            self._started = True
            line = line.removeprefix("\ufeff")
        if not line:
            if self._has_data:
                out.append(Frame("data", "\n".join(self._data)))
            self._data, self._has_data = [], False
            return
        if line.startswith(":"):
            out.append(Frame("comment", line[1:].removeprefix(" ")))
            return
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value.removeprefix(" "))
            self._has_data = True
        # `event:`, `id:` and `retry:` carry nothing this API uses.


def parse(chunks: list[bytes]) -> list[Frame]:
    """All frames of a complete stream given as chunks (a convenience for tests and tools)."""
    parser = SseParser()
    frames = [f for chunk in chunks for f in parser.feed(chunk)]
    return frames + parser.close()


class Kind(StrEnum):
    """What one event means to the client."""

    TEXT = "text"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    HEARTBEAT = "heartbeat"
    ERROR = "error"
    TRUNCATED = "truncated"
    OTHER = "other"


@dataclass(frozen=True)
class Event:
    """A classified event: ``text`` for TEXT/ERROR, ``name`` for tool calls and results."""

    kind: Kind
    text: str = ""
    partial: bool = False
    name: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def classify(frame: Frame) -> list[Event]:
    """Events of one frame: one per content part, or a single heartbeat/error/other event."""
    if frame.kind == "comment" or not frame.data.strip():
        return [Event(Kind.HEARTBEAT)]
    try:
        obj = json.loads(frame.data)
    except json.JSONDecodeError:
        # A frame cut off by a closing connection is a dropped stream, not an answer.
        return [Event(Kind.OTHER if frame.terminated else Kind.TRUNCATED, text=frame.data)]
    if not isinstance(obj, dict):
        return [Event(Kind.OTHER)]
    if "error" in obj or obj.get("errorCode") or obj.get("errorMessage"):
        message = obj.get("error") or obj.get("errorMessage") or obj.get("errorCode")
        details = obj.get("error_details")
        return [Event(Kind.ERROR, text=str(message), details=details or {})]
    content = obj.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    partial = obj.get("partial") is True
    events: list[Event] = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        if isinstance(part.get("functionCall"), dict):
            events.append(Event(Kind.TOOL_CALL, name=str(part["functionCall"].get("name", ""))))
        elif isinstance(part.get("functionResponse"), dict):
            name = str(part["functionResponse"].get("name", ""))
            events.append(Event(Kind.TOOL_RESULT, name=name))
        elif isinstance(part.get("text"), str) and not part.get("thought"):
            events.append(Event(Kind.TEXT, text=part["text"], partial=partial))
    return events or [Event(Kind.OTHER)]
