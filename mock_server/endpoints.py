"""Every route's endpoint is pure ASGI: Starlette's Route calls it without its per-route wrapper.

Starlette wraps a function endpoint in `request_response`: a Request, three nested coroutines and
a `send` wrapper that turns exceptions into responses. The exchange layer (mock_server/exchange.py)
already answers every error with its envelope, so the emulator's routes skip that wrapper: fewer
frames per open stream and one call less per message sent.
- `RequestEndpoint(fn)`: `async fn(request) -> Response`, the usual handler.
- `ScopeEndpoint(fn, body=...)`: `fn(world, scope) -> data` (or a coroutine giving the data when
  it has to wait, as the render poll does while the MP4 is drawn off the loop) answered as the
  success envelope, or as `body(world, data)`, with no Request object at all: for the reads
  clients poll every few seconds (credits, state, render status) and load tests point fleets of
  clients at.
The exchange layer gives every scope its `state` dict with a `journal_entry` before any endpoint
runs, so endpoints write to both without checking.
Route treats an endpoint that is not a function as an ASGI app. What `fn` raises (an ApiError)
reaches the exchange layer, which answers its envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from types import CoroutineType
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from nemo_mock.server.errors import envelope_bytes
from nemo_mock.server.exchange import DIRECT_SEND
from nemo_mock.server.model import User
from nemo_mock.server.readings import attribution_everywhere, missing, require_attribution
from nemo_mock.server.world import World


class RequestEndpoint:
    """An ASGI endpoint calling `async fn(request) -> Response` and sending the response."""

    def __init__(self, fn: Callable[[Request], Awaitable[Response]]) -> None:
        self.fn = fn
        self.__name__ = fn.__name__  # the route's name, as for a function endpoint
        self.__doc__ = fn.__doc__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.fn(Request(scope, receive))
        await response(scope, receive, send)


def _envelope(world: World, data: Any) -> bytes:
    return envelope_bytes(0, "success", data)


# as Starlette's Response (and so Envelope) writes it
_JSON = (b"content-type", b"application/json")


class ScopeEndpoint:
    """An ASGI endpoint answering `fn(world, scope)` with HTTP 200 and `body(world, data)`: by
    default the success envelope. `fn` returns the data, or a coroutine giving it when it has
    to wait."""

    def __init__(
        self,
        fn: Callable[[World, Scope], Any],
        body: Callable[[World, Any], bytes] = _envelope,
    ) -> None:
        self.fn = fn
        self.body = body
        self.__name__ = fn.__name__  # the route's name, as for a function endpoint
        self.__doc__ = fn.__doc__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        world: World = scope["app"].world  # the EmulatorApp (mock_server/app.py)
        data = self.fn(world, scope)
        if type(data) is CoroutineType:  # it has to wait (a render poll while the MP4 is drawn)
            data = await data
        body = self.body(world, data)
        state = scope["state"]
        state["code"] = 0  # read by the journal, as for an Envelope
        direct = scope.get(DIRECT_SEND)
        if direct is not None:  # what the exchange layer's wrapper would record, written here
            entry = state["journal_entry"]
            entry["status"] = 200
            entry["code"] = 0
            entry["content_type"] = "application/json"
            send = direct
        headers = [(b"content-length", content_length(len(body))), _JSON]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@lru_cache(maxsize=4096)
def content_length(size: int) -> bytes:
    """A Content-Length value (the polled bodies take a handful of sizes)."""
    return b"%d" % size


def user_of_scope(world: World, scope: Scope) -> User:
    """The authenticated user, with the attribution rule, as http.user_of for a Request."""
    user = world.authenticate(header(scope, b"authorization"))
    if attribution_everywhere(world.settings):  # only then can an absent header matter
        require_attribution(world.settings, missing(lambda name: header(scope, _key(name))))
    return user


@lru_cache(maxsize=64)
def _key(name: str) -> bytes:
    """A header name as ASGI scopes hold it (lower-case bytes)."""
    return name.lower().encode("latin-1")


def note_scope(scope: Scope, key: str, value: Any) -> None:
    """Add `key: value` to this exchange's journal entry (as http.note does for a Request)."""
    scope["state"]["journal_entry"][key] = value


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name` (lower-case bytes), or None.

    ASGI servers lower-case the scope's header names, as Starlette's Headers also assumes.
    """
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def base_url_of(scope: Mapping[str, Any], host: str | None) -> str:
    """Scheme, host and port the client used (for URLs in answers)."""
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    root = str(scope.get("root_path", "")).rstrip("/")
    return f"{scope.get('scheme', 'http')}://{host}{root}"


def scope_base_url(scope: Scope) -> str:
    """`base_url_of` this scope and its Host header, made once per distinct host (a render poll
    asks it on every call once the job completed)."""
    host = None
    for key, value in scope["headers"]:
        if key == b"host":
            host = value
            break
    server = scope.get("server")
    return _base_url(
        scope.get("scheme", "http"),
        host,
        str(scope.get("root_path", "")),
        tuple(server) if server else None,  # hashable, whatever sequence the server gave
    )


@lru_cache(maxsize=256)
def _base_url(scheme: str, host: bytes | None, root: str, server: tuple[Any, ...] | None) -> str:
    scope = {"scheme": scheme, "root_path": root, "server": server}
    return base_url_of(scope, host.decode("latin-1") if host is not None else None)
