"""Server-sent events on the wire: exact frame bytes (pure functions), a pipe and the response.

Framing [ADK]: every frame is `data: <compact JSON>\\n\\n` — LF only, no `event:` or `id:` lines
(an `id:` line would make httpx-sse dispatch an empty event on every later blank line).
Heartbeats (vendor layer) come in the two exact forms of contracts/facts.yaml `turn.heartbeats`:
the SSE comment `: heartbeat\\n\\n` (v1.9's SSE table names the event `heartbeat`; the comment text
is an ASSUMPTION) and the empty data frame `data: \\n\\n` (one space after the colon, as the seeds'
"empty data: lines"). Style `mixed` alternates them, starting with the comment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from functools import cache
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from nemo_mock import contracts
from nemo_mock.server.errors import json_bytes

MEDIA_TYPE = "text/event-stream"


@cache
def heartbeats() -> tuple[bytes, bytes]:
    """(the comment heartbeat, the empty data frame), as contracts/facts.yaml gives them."""
    comment, data = (h.encode() for h in contracts.facts()["turn"]["heartbeats"])
    return comment, data


def frame(obj: Any) -> bytes:
    """One SSE frame carrying `obj` as compact JSON: `data: {...}\\n\\n`."""
    return b"data: " + json_bytes(obj) + b"\n\n"


def error_frame(message: str, details: dict[str, Any]) -> bytes:
    """The mid-stream error frame [ADK]: `data: {"error": ..., "error_details": {...}}\\n\\n`."""
    return frame({"error": message, "error_details": details})


def heartbeat(style: str, index: int) -> bytes:
    """The `index`-th heartbeat (0-based) under `style` comment | data | mixed (alternating)."""
    comment, data = heartbeats()
    if style == "comment":
        return comment
    if style == "data":
        return data
    return comment if index % 2 == 0 else data


def truncated(chunk: bytes) -> bytes:
    """The first half of a frame's bytes: what a connection cut mid-frame delivers."""
    return chunk[: len(chunk) // 2]


class Pipe:
    """Frames from a producer (the turn) to at most one consumer (the response), in order.

    Producing never blocks. Once the consumer is gone (`detach`), frames are dropped: the turn
    keeps running without buffering for nobody.
    """

    __slots__ = ("_items", "_waiter", "closed", "detached")

    def __init__(self) -> None:
        self._items: list[bytes] = []  # a list, not a deque: a deque's first block is 0.5 KB
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.detached = False

    def put(self, chunk: bytes) -> None:
        """Queue a frame (dropped when the consumer is gone or the pipe is closed)."""
        if self.detached or self.closed:
            return
        self._items.append(chunk)
        self._wake()

    def close(self) -> None:
        """No more frames: the consumer ends after the queued ones."""
        self.closed = True
        self._wake()

    def detach(self) -> None:
        """The consumer is gone: drop queued frames and every later one."""
        self.detached = True
        self._items.clear()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> list[bytes]:
        """Every queued frame (waits for at least one); `[]` at the end of the stream."""
        while not self._items:
            if self.closed or self.detached:
                return []
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items, self._items = self._items, []
        return items


class SseResponse(StreamingResponse):
    """Forwards a Pipe's frames as `text/event-stream; charset=utf-8`, then closes.

    `truncate_after=N`: after N data frames (heartbeats not counted) send half of the next data
    frame's bytes, no blank line, and end the response. `on_end(reason)` is told why it ended:
    "closed" (the turn ended), "client_gone" or "truncated".

    A StreamingResponse whose body is the pipe's frames; `__call__` is its own so that a stream
    costs one extra task (the disconnect watcher) instead of Starlette's task group.
    """

    media_type = MEDIA_TYPE

    def __init__(
        self,
        pipe: Pipe,
        *,
        truncate_after: int | None = None,
        on_end: Callable[[str], None] | None = None,
    ) -> None:
        self.pipe = pipe
        self.reason = "closed"
        self.on_end = on_end
        super().__init__(
            self._frames(truncate_after),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _frames(self, truncate_after: int | None) -> AsyncIterator[bytes]:
        """The pipe's batches as bytes, cut as `truncate_after` says; sets `reason` at the end."""
        pipe, left = self.pipe, truncate_after
        while chunks := await pipe.get():
            if left is not None:
                chunks, left, cut = _cut(chunks, left)
                if cut:
                    self.reason = "truncated"
                    yield b"".join(chunks)
                    return
            yield b"".join(chunks)
        self.reason = "client_gone" if pipe.detached else "closed"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watcher = asyncio.get_running_loop().create_task(_watch_disconnect(receive, self.pipe))
        try:
            await self.stream_response(send)
        except OSError:  # the client went away while we wrote
            self.reason = "client_gone"
        finally:
            watcher.cancel()
            self.pipe.detach()
            if self.on_end is not None:
                self.on_end(self.reason)


def _cut(chunks: list[bytes], left: int) -> tuple[list[bytes], int, bool]:
    """Apply truncation to a batch: (what to send, data frames still allowed, cut happened)."""
    out: list[bytes] = []
    for chunk in chunks:
        if chunk in heartbeats():
            out.append(chunk)
            continue
        if left <= 0:
            out.append(truncated(chunk))
            return out, left, True
        left -= 1
        out.append(chunk)
    return out, left, False


async def _watch_disconnect(receive: Receive, pipe: Pipe) -> None:
    # ASGI spec 2.3 servers (uvicorn) swallow writes to a closed socket: only receive() tells.
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            pipe.detach()
            return
