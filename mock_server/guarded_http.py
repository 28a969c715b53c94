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
    the header byte bound, for uvicorn's `http` option (needs httptools installed)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        """HttpToolsProtocol with the header deadline and the header byte bound."""

        header_timeout = float(limit)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_timer: asyncio.TimerHandle | None = None
            self._head_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the first bytes of a new request head
            super().data_received(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes = 0

        def on_header(self, name: bytes, value: bytes) -> None:
            if self._head_bytes > MAX_HEADER_BYTES:
                return  # already marked: drop the rest, hold nothing more
            self._head_bytes += len(name) + len(value)
            if self._head_bytes > MAX_HEADER_BYTES:
                self.headers.append((OVERFLOW, str(self._head_bytes).encode()))
                return
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._disarm()
            scope: dict[str, Any] = self.scope  # type: ignore[assignment]
            scope[HEADER_BYTES] = self._head_bytes  # counted once, here, for the app
            super().on_headers_complete()

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(self.header_timeout, self._expired)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _expired(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedHttpToolsProtocol
