"""Server-sent events on the wire: exact frame bytes (pure functions), a pipe and the response.

Framing [ADK]: every frame is `data: <compact JSON>\\n\\n` — LF only, no `event:` or `id:` lines
(an `id:` line would make httpx-sse dispatch an empty event on every later blank line).
Heartbeats (vendor layer) come in the two exact forms of contracts/facts.yaml `turn.heartbeats`:
the SSE comment `: heartbeat\\n\\n` (v1.9's SSE table names the event `heartbeat`; the comment text
is an ASSUMPTION) and the empty data frame `data: \\n\\n` (one space after the colon, as the seeds'
"empty data: lines"). Style `mixed` alternates them, starting with the comment.

Heartbeats take a short cut when they can: while the response has sent everything before them and
waits, on uvicorn's httptools connection, with no middleware around the app and no fault rule on
the exchange (either may rewrite what is sent), the turn's clock timer writes a heartbeat to the
socket as its HTTP/1.1 chunk (one `transport.write`) instead of waking the response task to pass
it through every ASGI `send` wrapper. Heartbeats carry no state, so skipping our own wrappers (the
journal's, a store's commit) loses nothing; data frames always go through `send`. Anything else
(h11, in-process ASGI, a paused or closed socket) takes `send` too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
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

    __slots__ = ("_items", "_waiter", "closed", "detached", "direct")

    def __init__(self) -> None:
        self._items: list[bytes] = []  # a list, not a deque: a deque's first block is 0.5 KB
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.detached = False
        # writes a heartbeat straight to the socket (True) or declines (False); set by the response
        self.direct: Callable[[bytes], bool] | None = None

    def put(self, chunk: bytes) -> None:
        """Queue a frame (dropped when the consumer is gone or the pipe is closed)."""
        if self.detached or self.closed:
            return
        self._items.append(chunk)
        self._wake()

    def beat(self, chunk: bytes) -> None:
        """Queue a heartbeat, or write it straight to the socket when the consumer is idle."""
        direct = self.direct
        if (
            direct is not None
            and self._waiter is not None  # the consumer waits: all earlier frames went out
            and not self._items
            and not (self.closed or self.detached)
            and direct(chunk)
        ):
            return
        self.put(chunk)

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
    costs one extra task (the disconnect watcher) instead of Starlette's task group, and so that
    heartbeats can go straight to the socket (`socket_writer`).
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
        super().__init__(self._frames(truncate_after))

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        """The same three headers on every stream: one shared set, copied."""
        self.raw_headers = list(_RAW_HEADERS)

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
        pipe = self.pipe
        watcher = asyncio.get_running_loop().create_task(_watch_disconnect(receive, pipe))
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            pipe.direct = socket_writer(scope, receive)
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away while we wrote
            self.reason = "client_gone"
        finally:
            pipe.direct = None
            watcher.cancel()
            pipe.detach()
            if self.on_end is not None:
                self.on_end(self.reason)


_RAW_HEADERS = (
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
    (b"content-type", MEDIA_TYPE.encode() + b"; charset=utf-8"),
)


class _SocketWriter:
    """Writes heartbeats to a uvicorn (httptools) connection as HTTP/1.1 chunks, as its `send`
    would (`%x CRLF data CRLF`), unless the client is gone or the socket is paused for flow
    control (then the heartbeat takes `send`, which waits for the socket to drain)."""

    __slots__ = ("cycle", "transport")

    def __init__(self, cycle: Any, transport: Any) -> None:
        self.cycle = cycle
        self.transport = transport

    def __call__(self, chunk: bytes) -> bool:
        cycle = self.cycle
        if cycle.disconnected or cycle.response_complete or cycle.flow.write_paused:
            return False
        self.transport.write(_chunked(chunk))
        return True


@cache
def _chunked(chunk: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(chunk), chunk)


SERVER_SEND = "nemo_mock.server_send"  # scope key: the app got the server's own `send`


def note_server_send(scope: Scope, receive: Receive, send: Send) -> None:
    """Note in `scope` whether the app was handed uvicorn's own `send` (bound to the request cycle
    that `receive` is bound to): then nothing outside the app rewrites what it sends, and
    heartbeats may skip `send`. Any middleware around the app gets every heartbeat through it."""
    cycle = getattr(receive, "__self__", None)
    if cycle is not None and getattr(send, "__self__", None) is cycle:
        scope[SERVER_SEND] = True


def socket_writer(scope: Scope, receive: Receive) -> Callable[[bytes], bool] | None:
    """A heartbeat writer for this response once its head is sent, or None (take `send`).

    uvicorn's `receive` is a bound method of its request cycle, which holds the transport, the
    framing it chose (`chunked_encoding`), `disconnected`, `response_complete` and the flow
    control (`flow.write_paused`), as fault_actions.transport_of relies on too; the h11 cycle has
    no `chunked_encoding` and takes `send`. tests/mock_server/test_sse_socket.py pins these on the
    installed uvicorn. Heartbeats take `send` unless the app noted the server's own `send`
    (`note_server_send`) and no fault rule matched the exchange (a rule may wrap `send`).
    """
    if not scope.get(SERVER_SEND) or scope.get("state", {}).get("journal_entry", {}).get("faults"):
        return None
    cycle = getattr(receive, "__self__", None)
    if getattr(cycle, "chunked_encoding", None) is not True:
        return None
    transport = getattr(cycle, "transport", None)
    flow = getattr(cycle, "flow", None)
    if (
        transport is None
        or not hasattr(transport, "write")
        or not isinstance(getattr(flow, "write_paused", None), bool)
        or not isinstance(getattr(cycle, "disconnected", None), bool)
        or not isinstance(getattr(cycle, "response_complete", None), bool)
    ):
        return None
    return _SocketWriter(cycle, transport)


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
