"""The SSE load client: raw-socket streams that timestamp every heartbeat, and loop-lag probing."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

INTERVAL = 1.0  # seconds between heartbeats the servers are asked for


class Stream(asyncio.Protocol):
    """One SSE stream over a raw socket: HTTP/1.1 response head, chunked body, line ticks."""

    def __init__(self, request: bytes, stats: Stats) -> None:
        self.request = request
        self.stats = stats
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()
        self.headers_done = False
        self.chunked = False
        self.raw = bytearray()  # undecoded body bytes
        self.lines = bytearray()  # decoded body bytes not yet split into lines
        self.last = 0.0
        self.ticks = 0
        self.max_late = 0.0
        self.open: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.error = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.headers_done:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.head[:end]).lower()
            rest = bytes(self.head[end + 4 :])
            self.head = bytearray()
            self.headers_done = True
            if head[9:12] != b"200" or b"text/event-stream" not in head:
                self.error = (
                    head.split(b"\r\n", 1)[0].decode("latin-1")
                    + " "
                    + rest[:200].decode("latin-1", "replace")
                )
                self._fail()
                return
            self.chunked = b"transfer-encoding: chunked" in head
            self.last = now
            if not self.open.done():
                self.open.set_result(True)
            data = rest
        if self.chunked:
            self.raw += data
            self._dechunk()
        else:
            self.lines += data
        self._scan(now)

    def _dechunk(self) -> None:
        raw = self.raw
        while True:
            nl = raw.find(b"\r\n")
            if nl < 0:
                return
            size = int(bytes(raw[:nl]).split(b";")[0] or b"0", 16)
            if size == 0:
                del raw[:]
                return
            if len(raw) < nl + 2 + size + 2:
                return
            self.lines += raw[nl + 2 : nl + 2 + size]
            del raw[: nl + 2 + size + 2]

    def _scan(self, now: float) -> None:
        buf = self.lines
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                return
            line = bytes(buf[:nl])
            del buf[: nl + 1]
            if line.startswith(b":") or line.startswith(b"data:"):
                self.tick(now)

    def tick(self, now: float) -> None:
        late = now - self.last - INTERVAL
        self.last = now
        self.ticks += 1
        if self.stats.measuring:
            self.stats.ticks += 1
            self.stats.lates.append(late)
            if late > self.max_late:
                self.max_late = late

    def _fail(self) -> None:
        self.closed = True
        if not self.open.done():
            self.open.set_result(False)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.stats.lost += 1
            if not self.error:
                self.error = f"closed by server ({exc or 'EOF'}) after {self.ticks} heartbeats"
        if not self.open.done():
            self.open.set_result(False)


@dataclass
class Stats:
    measuring: bool = False
    ticks: int = 0
    lost: int = 0
    lates: list[float] = field(default_factory=list)
    client_lag: float = 0.0  # the client's own worst event-loop lag in the window


async def lag_probe(stats: Stats, period: float = 0.05) -> None:
    """Measure this process's own loop lag, so a slow client is not blamed on the server."""
    while True:
        t = time.monotonic()
        await asyncio.sleep(period)
        lag = time.monotonic() - t - period
        if stats.measuring and lag > stats.client_lag:
            stats.client_lag = lag


def request_bytes(host: str, port: int, token: str, session_id: str) -> bytes:
    body = json.dumps(
        {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": "make the title bigger"}]},
        }
    ).encode()
    head = (
        f"POST /run_sse HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Authorization: Bearer {token}\r\nX-Skill-Source: video-create\r\n"
        f"X-Skill-Version: 1.0.0\r\nX-Skill-Platform: bench\r\n\r\n"
    )
    return head.encode() + body
