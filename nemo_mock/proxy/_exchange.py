"""One request/response as the proxy saw it, and the incremental SSE reader that fills its frames.

Everything kept here is already redacted: bearer tokens become fingerprints (the emulator's
journal uses the same `tok_` + 10 hex names, so a recording and a journal line up), and so does
every `nmv_usr_...` token inside a body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from nemo_mock.server.journal import fingerprint, redact_headers

BODY_CAP = 1 << 20  # bytes of a request or response body kept for checks and the recording
_TOKEN = re.compile(rb"nmv_usr_[A-Za-z0-9_\-]+")


def redact_body(body: bytes) -> bytes:
    """Every user token inside a body replaced by its fingerprint."""
    return _TOKEN.sub(lambda m: fingerprint(m.group(0).decode()).encode(), body)


def redact(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict with tokens as fingerprints (see nemo_mock.server.journal)."""
    return redact_headers(headers)


@dataclass
class Frame:
    """One SSE block: `json`, `empty` (an empty data: heartbeat), `comment` or `bad`."""

    kind: str
    at: float  # real seconds since the response started
    raw: str
    data: Any = None
    issues: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As written into the recording (frames.ndjson)."""
        out: dict[str, Any] = {"kind": self.kind, "at": round(self.at, 4), "raw": self.raw}
        if self.issues:
            out["issues"] = self.issues
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Frame:
        """The inverse of `to_json` (the data is parsed again from `raw`)."""
        parsed = parse_block(str(data["raw"]).encode(), float(data["at"]))
        return parsed or cls(str(data["kind"]), float(data["at"]), str(data["raw"]))


@dataclass
class Exchange:
    """A request and its response (frames for a stream), redacted."""

    seq: int
    started: float  # wall-clock epoch seconds
    method: str
    path: str
    query: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    request_size: int = 0
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    response_size: int = 0
    frames: list[Frame] | None = None
    end: str = ""  # closed | cut | upstream_error | client_gone | proxy_error
    tail: str = ""  # what was left inside an unfinished frame
    seconds: float = 0.0
    vtime: float | None = None  # the upstream's clock when the answer ended (see _app._now)

    @property
    def content_type(self) -> str:
        """The response's content type, lower case."""
        return self.response_headers.get("content-type", "").lower()

    @property
    def is_sse(self) -> bool:
        """The response is an event stream."""
        return self.frames is not None

    def json(self) -> Any:
        """The response body parsed as JSON (None when it is not JSON)."""
        if "json" not in self.content_type or self.response_size > BODY_CAP:
            return None
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def request_json(self) -> Any:
        """The request body parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.request_body) if self.request_body else None
        except (ValueError, UnicodeDecodeError):
            return None

    def token_fp(self) -> str | None:
        """The fingerprint of the bearer token the request carried."""
        scheme, _, value = self.request_headers.get("authorization", "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def texts(self) -> list[str]:
        """Non-empty text parts of the stream's events."""
        out = []
        for f in self.frames or []:
            if f.kind != "json" or not isinstance(f.data, dict):
                continue
            for part in (f.data.get("content") or {}).get("parts") or []:
                text = part.get("text") if isinstance(part, dict) else None
                if isinstance(text, str) and text.strip():
                    out.append(text)
        return out


def frame_kind(frame: Frame) -> str:
    """A frame's structural kind: text, functionCall, functionResponse, error, heartbeat, ..."""
    if frame.kind in ("empty", "comment"):
        return "heartbeat"
    if frame.kind != "json" or not isinstance(frame.data, dict):
        return frame.kind
    if "error" in frame.data:
        return "error"
    parts = (frame.data.get("content") or {}).get("parts") or []
    kinds = [next(iter(p), "?") for p in parts if isinstance(p, dict)]
    return (
        "+".join(k for k in kinds if k in ("text", "functionCall", "functionResponse")) or "event"
    )


class SseReader:
    """Cuts a byte stream into SSE blocks as it arrives (LF or CRLF blank-line separated)."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes, at: float) -> list[Frame]:
        """The blocks completed by `chunk`."""
        self._buf += chunk
        out: list[Frame] = []
        while True:
            cut = _separator(self._buf)
            if cut is None:
                return out
            block, self._buf = self._buf[: cut[0]], self._buf[cut[1] :]
            frame = parse_block(redact_body(block), at)
            if frame is not None:
                if cut[1] - cut[0] > 2 and not frame.issues:
                    frame.issues.append("CR in a frame (LF only)")
                out.append(frame)

    @property
    def tail(self) -> bytes:
        """Bytes of an unfinished block."""
        return self._buf


def _separator(buf: bytes) -> tuple[int, int] | None:
    hits = [(i, i + len(s)) for s in (b"\n\n", b"\r\n\r\n") if (i := buf.find(s)) >= 0]
    return min(hits) if hits else None


def parse_block(block: bytes, at: float) -> Frame | None:
    """One SSE block as a Frame (None for a block of blank lines)."""
    text = block.decode("utf-8", "replace")
    issues = []
    if "\r" in text:
        issues.append("CR in a frame (LF only)")
    data_lines: list[str] = []
    comment = False
    for line in text.replace("\r", "").split("\n"):
        if line.startswith(":"):
            comment = True
        elif line.startswith("data:"):
            data_lines.append(line[5:].removeprefix(" "))
        elif line.startswith(("event:", "id:", "retry:")):
            issues.append(f"forbidden SSE field: {line[:40]!r}")
        elif line:
            issues.append(f"unexpected line: {line[:40]!r}")
    if not data_lines:
        if not comment and not issues:
            return None
        return Frame("comment", at, text, issues=issues)
    if len(data_lines) > 1:
        issues.append("a frame must be one `data:` line")
    payload = "\n".join(data_lines)
    if not payload.strip():
        return Frame("empty", at, text, issues=issues)
    try:
        data = json.loads(payload)
    except ValueError:
        return Frame("bad", at, text, issues=issues)
    return Frame("json", at, text, data, issues)
