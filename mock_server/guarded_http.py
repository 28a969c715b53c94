"""uvicorn's HTTP protocol with two guards: a header-read deadline and a bound on header bytes.

uvicorn has neither: a client that trickles a request head keeps its connection (and the bytes it
sent) forever, and httptools keeps every header however large. Here a request head must be
complete within `header_timeout` real seconds of its first byte (else the connection closes),
and once a head passes MAX_HEADER_BYTES the rest of its headers are dropped and an overflow marker
is appended, so the app answers 431 without the server ever holding more than the bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

MAX_HEADER_BYTES = 32 * 1024  # names and values of one request head (like nginx's 4 x 8 KiB)
HEADER_BYTES = "nemo_mock.header_bytes"  # scope key: the head's size, counted once per request
OVERFLOW = b"x-nemo-mock-header-overflow"  # the marker; always the last header when present


def header_bytes(headers: list[tuple[bytes, bytes]]) -> int:
    """Bytes of names and values (what the bound counts)."""
    return sum(len(k) + len(v) for k, v in headers)


def too_large(scope: MutableMapping[str, Any]) -> bool:
    """The head passed MAX_HEADER_BYTES (marked by the protocol, or counted here); the count is
    in the scope for the journal (the guarded protocol puts it there as it reads the head)."""
    headers = scope["headers"]
    if headers and headers[-1][0] == OVERFLOW:
        return True
    size = scope.get(HEADER_BYTES)
    if size is None:  # another server (h11, a test client): count them here
        size = scope[HEADER_BYTES] = header_bytes(headers)
    return bool(size > MAX_HEADER_BYTES)


def protocol_class(limit: float) -> type[Any]:
    """uvicorn's httptools protocol with the header deadline (`limit` real seconds) and
    the header byte bound, for uvicorn's `http` option (needs httptools installed).

    Both guards run on every request, so they cost as little as a request allows: the head's
    start is one stamp (no timer armed and cancelled per request), and the base class's
    callbacks are called as plain functions (no `super()` object per header).
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    base_made = HttpToolsProtocol.connection_made
    base_lost = HttpToolsProtocol.connection_lost
    base_begin = HttpToolsProtocol.on_message_begin
    base_header = HttpToolsProtocol.on_header
    base_complete = HttpToolsProtocol.on_headers_complete

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        """HttpToolsProtocol with the header deadline and the header byte bound."""

        header_timeout = float(limit)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_timer: asyncio.TimerHandle | None = None
            self._head_since: float | None = None  # loop time the unfinished head began
            self._head_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            base_made(self, transport)
            self._head_began()  # a connection that never sends a head is closed too

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            base_lost(self, exc)

        def on_message_begin(self) -> None:
            base_begin(self)
            self._head_bytes = 0
            self._head_began()

        def on_header(self, name: bytes, value: bytes) -> None:
            size = self._head_bytes + len(name) + len(value)
            if size <= MAX_HEADER_BYTES:
                self._head_bytes = size
                base_header(self, name, value)
            elif self._head_bytes <= MAX_HEADER_BYTES:  # the first header past the bound
                self._head_bytes = size
                self.headers.append((OVERFLOW, str(size).encode()))
            # else: already marked: drop the rest, hold nothing more

        def on_headers_complete(self) -> None:
            self._head_since = None  # the head is in: its deadline no longer applies
            scope: dict[str, Any] = self.scope  # type: ignore[assignment]
            scope[HEADER_BYTES] = self._head_bytes  # counted once, here, for the app
            base_complete(self)

        def _head_began(self) -> None:
            """A head starts now: it must be complete within `header_timeout`. The timer is
            armed only when none is (a keep-alive connection's timer outlives many requests:
            when it fires it checks the head in progress, if any, and re-arms for its
            deadline, so a busy connection sets one timer per `header_timeout`, not one per
            request)."""
            self._head_since = self.loop.time()
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(self.header_timeout, self._check_head)

        def _check_head(self) -> None:
            self._head_timer = None
            since = self._head_since
            if since is None or self.transport.is_closing():
                return  # no head in progress: the next one arms the timer again
            left = since + self.header_timeout - self.loop.time()
            if left > 0:  # a later head than the one the timer was armed for
                self._head_timer = self.loop.call_later(left, self._check_head)
            else:
                self.transport.close()

    return GuardedHttpToolsProtocol
