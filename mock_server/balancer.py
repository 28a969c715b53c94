"""A round-robin HTTP balancer: each request goes to the next upstream, whatever the connection.

`nemo-mock scenarios run --workers N` and the tests put it in front of N emulator processes that
share one world (`--store redis://`), so that consecutive requests of one client land on
different processes — the hardest case for a shared world (a TCP balancer, or the kernel behind
`serve --workers N`, keeps a keep-alive connection on one process). Answers stream through
(SSE included); an upstream that drops its connection mid-answer drops the client's too.
Not a production proxy: use nginx or HAProxy in front of several hosts (README "Keeping state").
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Sequence

import httpx
from starlette.types import Receive, Scope, Send

from nemo_mock.server.fault_actions import drop_connection

#: headers that describe one connection, not the message (RFC 9110 §7.6.1)
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


class RoundRobin:
    """An ASGI app forwarding request i to `upstreams[i % len(upstreams)]`."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        if not upstreams:
            raise ValueError("a balancer needs at least one upstream")
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self.counts = [0] * len(self.upstreams)  # requests sent to each upstream
        self._next = itertools.cycle(range(len(self.upstreams)))
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
            timeout = httpx.Timeout(None, connect=10.0)
            self._client = httpx.AsyncClient(timeout=timeout, limits=limits)
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        i = next(self._next)
        self.counts[i] += 1
        url = self.upstreams[i] + scope["raw_path"].decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        # a field value's surrounding whitespace is not part of it (RFC 9110 §5.5)
        headers = [(k, v.strip(b" \t")) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        client = self._http()
        request = client.build_request(scope["method"], url, headers=headers, content=body())
        try:
            response = await client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            await _bad_gateway(send, f"upstream {self.upstreams[i]} did not answer: {exc}")
            return
        except httpx.LocalProtocolError as exc:  # a request we cannot forward as it is
            await _bad_gateway(send, f"request not forwarded: {exc}")
            return
        except httpx.TransportError:  # the upstream dropped the connection: so do we
            await drop_connection(receive)
            return
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            start = {"type": "http.response.start", "status": response.status_code, "headers": out}
            await send(start)
            try:
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.TransportError:  # cut mid-answer (a silent close): cut the client too
                await drop_connection(receive)
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


async def _bad_gateway(send: Send, message: str) -> None:
    body = json.dumps({"code": 502, "message": message, "data": None}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 502, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
