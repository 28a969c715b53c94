"""The pass-through proxy as an ASGI app: forwards every request upstream, streams the answer
back chunk by chunk (nothing is buffered: a heartbeat reaches the client when it arrives), and
hands a redacted copy of each exchange to the checker and the recorder.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable

import httpx
from starlette.types import Message, Receive, Scope, Send

from nemo_mock.proxy._check import Checker
from nemo_mock.proxy._exchange import BODY_CAP, Exchange, SseReader, redact, redact_body

MINT = "/api/auth/anonymous-token"
# hop-by-hop headers (RFC 9110 §7.6.1) and those httpx sets itself
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
}


class ProxyApp:
    """ASGI app: `await app(scope, receive, send)` forwards to `upstream`."""

    def __init__(
        self,
        upstream: str,
        checker: Checker,
        on_exchange: Callable[[Exchange], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        virtual_clock: bool = False,
        admin_token: str | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.checker = checker
        self.on_exchange = on_exchange
        self._transport = transport
        self.virtual_clock = virtual_clock  # the upstream is nemo-mock: read its clock
        self._admin = {"X-Admin-Token": admin_token} if admin_token else {}
        self._client: httpx.AsyncClient | None = None
        self._seq = itertools.count(1)

    def _http(self) -> httpx.AsyncClient:
        # one client per event loop: created on first use, inside the server's loop
        if self._client is None:
            timeout = httpx.Timeout(connect=10.0, read=None, write=60.0, pool=None)
            self._client = httpx.AsyncClient(
                base_url=self.upstream, timeout=timeout, transport=self._transport
            )
        return self._client

    async def aclose(self) -> None:
        """Close the upstream connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        ex = Exchange(
            seq=next(self._seq),
            started=time.time(),
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            request_headers=redact(raw),
        )
        t0 = time.monotonic()
        kept = bytearray()

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                chunk = message.get("body", b"")
                ex.request_size += len(chunk)
                if len(kept) < BODY_CAP:
                    kept.extend(chunk[: BODY_CAP - len(kept)])
                if chunk:
                    yield chunk
                if not message.get("more_body"):
                    return

        headers = [(k, v) for k, v in raw if k.lower() not in _HOP]
        url = ex.path + (f"?{ex.query}" if ex.query else "")
        has_body = any(k.lower() in ("content-length", "transfer-encoding") for k, _ in raw)
        request = self._http().build_request(
            ex.method, url, headers=headers, content=body() if has_body else b""
        )
        try:
            response = await self._http().send(request, stream=True)
        except httpx.HTTPError as exc:
            ex.request_body = bytes(kept)
            await self._proxy_error(ex, send, exc)
            self._done(ex, t0)
            return
        ex.request_body = bytes(kept)
        last = b""
        try:
            last = await self._relay(ex, response, receive, send, t0)
        finally:
            await response.aclose()
            ex.vtime = await self._now(ex)
            # judged and recorded before the client sees the end (the last chunk is held back),
            # so whoever has read an answer to its end finds the verdict already there
            self._done(ex, t0)
            with contextlib.suppress(OSError, RuntimeError):
                await send({"type": "http.response.body", "body": last, "more_body": False})

    async def _relay(
        self, ex: Exchange, response: httpx.Response, receive: Receive, send: Send, t0: float
    ) -> bytes:
        """Forward the answer; returns the chunk held back (a stream holds nothing back)."""
        ex.status = response.status_code
        pairs = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP]
        ex.response_headers = redact(pairs)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs],
            }
        )
        sse = "text/event-stream" in ex.content_type
        reader = SseReader() if sse else None
        if sse:
            ex.frames = []
        kept = bytearray()
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        ex.end = "closed"
        held = b""
        try:
            async for chunk in response.aiter_raw():
                at = time.monotonic() - t0
                ex.response_size += len(chunk)
                if reader is not None:
                    for frame in reader.feed(chunk, at):
                        assert ex.frames is not None
                        ex.frames.append(frame)
                        self.checker.frame(ex, frame)
                elif len(kept) < BODY_CAP:
                    kept.extend(chunk[: BODY_CAP - len(kept)])
                if gone.is_set():
                    ex.end = "client_gone"
                    break
                if reader is None:
                    chunk, held = held, chunk
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.HTTPError:
            ex.end = "upstream_error"
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if reader is not None and reader.tail.strip():
            ex.tail = redact_body(reader.tail).decode("utf-8", "replace")
            if ex.end == "closed":
                ex.end = "cut"
        ex.response_body = bytes(kept)
        return held

    async def _proxy_error(self, ex: Exchange, send: Send, exc: Exception) -> None:
        ex.status, ex.end = 502, "proxy_error"
        body = json.dumps(
            {"code": 502, "message": f"nemo-mock proxy: upstream unreachable: {exc}", "data": None}
        ).encode()
        ex.response_headers = {"content-type": "application/json"}
        ex.response_body, ex.response_size = body, len(body)
        await send(
            {
                "type": "http.response.start",
                "status": 502,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _now(self, ex: Exchange) -> float | None:
        """The upstream's time when the answer ended: its virtual clock when it is nemo-mock
        (token lifetimes run on it), else the wall clock (the real backend's)."""
        if not ex.path.startswith("/api/"):
            return None
        if not self.virtual_clock:
            return time.time()
        if ex.path != MINT and (ex.token_fp() or "") not in self.checker.expiry:
            return None  # no lifetime to judge: spare the upstream a round trip
        try:
            r = await self._http().get("/_mock/clock", timeout=5.0, headers=self._admin)
            return float(r.json()["data"]["now"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    def _done(self, ex: Exchange, t0: float) -> None:
        ex.seconds = time.monotonic() - t0
        self.checker.finish(ex)  # on the bodies as they were (a token has its documented form)
        ex.request_body = redact_body(ex.request_body)
        ex.response_body = redact_body(ex.response_body)
        if self.on_exchange is not None:
            self.on_exchange(ex)


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    message: Message = {}
    while message.get("type") != "http.disconnect":
        message = await receive()
    gone.set()
