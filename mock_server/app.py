"""`create_app(settings, world=None)`: the emulator as an ASGI app; routes are a plain list."""

from __future__ import annotations

import inspect
from typing import Any

from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from nemo_mock import contracts
from nemo_mock.server import guarded_http, snapshot, sse, stores
from nemo_mock.server.endpoints import RequestEndpoint
from nemo_mock.server.errors import Envelope
from nemo_mock.server.exchange import ExchangeMiddleware
from nemo_mock.server.routes import agent, auth, control, render, sessions, ui, uploads
from nemo_mock.server.routing import Router
from nemo_mock.server.settings import Settings
from nemo_mock.server.stores.shared import SharedMiddleware
from nemo_mock.server.world import World


def route(path: str, endpoint: Any, methods: list[str]) -> Route:
    """A Route whose endpoint is pure ASGI (a Request handler is wrapped in RequestEndpoint)."""
    if inspect.isfunction(endpoint):
        endpoint = RequestEndpoint(endpoint)
    return Route(path, endpoint, methods=methods)


def api_routes() -> list[BaseRoute]:
    """The emulated API, each route at the path and method contracts/openapi.yaml gives its
    operationId (the paths are written once, there); the polled routes come first."""
    endpoints: list[tuple[str, Any]] = [
        ("creditsBalance", sessions.credits_balance),
        ("sessionState", sessions.session_state),
        ("renderStatus", render.status),
        ("runSse", agent.run_sse),
        ("anonymousToken", auth.anonymous_token),
        ("claimToken", auth.claim_token),
        ("claimPage", auth.claim_page),
        ("createSession", sessions.create_session),
        ("upload", uploads.upload),
        ("renderSubmit", render.submit),
        ("renderDownload", render.download),
        ("media", render.media),
        ("openapiJson", openapi_json),
    ]
    routes: list[BaseRoute] = []
    for operation_id, endpoint in endpoints:
        path, methods = _operation(operation_id)
        routes.append(route(path, endpoint, methods=methods))
    return routes


def _operation(operation_id: str) -> tuple[str, list[str]]:
    """(path, [METHOD]) of an operation of contracts/openapi.yaml."""
    path = contracts.openapi_path(operation_id)
    item = contracts.openapi()["paths"][path]
    methods = [
        method.upper()
        for method, op in item.items()
        if isinstance(op, dict) and op.get("operationId") == operation_id
    ]
    return path, methods


def control_routes() -> list[BaseRoute]:
    """The control plane under /_mock."""
    return [
        route("/_mock/health", control.health, methods=["GET"]),
        route("/_mock/reset", control.reset, methods=["POST"]),
        route("/_mock/clock", control.clock, methods=["GET"]),
        route("/_mock/clock/advance", control.clock_advance, methods=["POST"]),
        route("/_mock/config", control.config, methods=["GET", "PATCH"]),
        route("/_mock/journal", control.journal, methods=["GET", "DELETE"]),
        route("/_mock/journal.ndjson", control.journal_ndjson, methods=["GET"]),
        route("/_mock/journal.har", control.journal_har, methods=["GET"]),
        route("/_mock/faults", control.faults, methods=["GET", "POST", "DELETE"]),
        route("/_mock/faults/{rule_id}", control.fault, methods=["GET", "DELETE"]),
        route("/_mock/verify", control.verify_, methods=["POST"]),
        route("/_mock/tokens/revoke", control.token_revoke, methods=["POST"]),
        route("/_mock/tokens/expire", control.token_expire, methods=["POST"]),
        route("/_mock/users", control.users, methods=["POST"]),
        route("/_mock/users/{user_id}/credits", control.user_credits, methods=["POST"]),
        route("/_mock/state", control.state, methods=["GET", "PUT"]),
        route("/_mock/bundle", control.bundle, methods=["GET"]),
        route("/_mock/scenario", control.scenario_, methods=["POST"]),
        route("/_mock/openapi.json", control.openapi_json, methods=["GET"]),
        route("/_mock/overview", ui.overview, methods=["GET"]),
        route("/_mock/ui", ui.page, methods=["GET"]),
        route("/_mock/ui/{name}", ui.page, methods=["GET"]),
    ]


async def openapi_json(request: Request) -> Response:
    """The API's OpenAPI document."""
    return JSONResponse(contracts.openapi())


async def _headers_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    limit = guarded_http.MAX_HEADER_BYTES
    message = f"Request header fields too large: at most {limit} bytes of names and values."
    data = {"max_header_bytes": limit}
    await Envelope(data, code=400, message=message, status=431)(scope, receive, send)


class EmulatorApp:
    """The emulator as an ASGI app: Starlette's router inside the one exchange layer.

    Not Starlette's application class, whose two exception layers would wrap every request too:
    the exchange layer (mock_server/exchange.py) answers errors itself, with the envelope.
    """

    def __init__(self, world: World, routes: list[BaseRoute]) -> None:
        self.world = world
        self.state = State({"world": world})  # `request.app.state.world` in handlers
        self.router = Router(routes)  # Starlette's, trying only the routes a path can match
        # the router's own stack (it has no middleware): Router.__call__ only forwards to it
        self._stack: ASGIApp = ExchangeMiddleware(self.router.middleware_stack, world)
        shared = world.runtime.shared
        if shared is not None:  # a world shared with other processes (redis://)
            self._stack = SharedMiddleware(self._stack, world, shared)
        elif world.settings.store != "memory":  # commit the store before any answer goes out
            self._stack = stores.StoreMiddleware(self._stack, world)

    @property
    def routes(self) -> list[BaseRoute]:
        """Every route, API first."""
        return self.router.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and guarded_http.too_large(scope):
            await _headers_too_large(scope, receive, send)
            return
        scope["app"] = self
        sse.note_server_send(scope, receive, send)  # heartbeats may skip `send` (sse.py)
        await self._stack(scope, receive, send)


def create_app(
    settings: Settings | None = None, world: World | None = None, **extra: Any
) -> EmulatorApp:
    """The emulator as an ASGI app. Pass a `world` to share or inspect its state."""
    world = world or World(settings or Settings())
    if settings is not None and world.settings is not settings:
        world.configure(settings)
    if world.settings.store != "memory":  # before the state file: a store with state wins
        stores.attach(world, world.settings.store)
    if world.settings.state_file:
        snapshot.attach(world, world.settings.state_file)
    return EmulatorApp(world, [*api_routes(), *control_routes()])
