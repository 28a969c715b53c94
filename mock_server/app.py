"""`create_app(settings, world=None)`: the Starlette app; routes are a plain list."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from nemo_mock import contracts
from nemo_mock.server import polled, snapshot, stores
from nemo_mock.server.errors import ApiError, Envelope, error_response
from nemo_mock.server.fault_middleware import FaultMiddleware
from nemo_mock.server.journal_middleware import JournalMiddleware
from nemo_mock.server.routes import agent, auth, control, render, sessions, ui, uploads
from nemo_mock.server.settings import Settings
from nemo_mock.server.world import World

log = logging.getLogger("nemo_mock")

_HTTP_TO_CODE = {404: 404, 405: 405}


def api_routes() -> list[BaseRoute]:
    """The emulated API (paths as in contracts/openapi.yaml); the polled routes come first."""
    return [
        Route("/api/render/proxy/lambda/{render_id}", render.status, methods=["GET"]),
        Route(
            "/api/state/nemo_agent/me/{session_id}/latest", sessions.session_state, methods=["GET"]
        ),
        Route("/api/credits/balance/simple", sessions.credits_balance, methods=["GET"]),
        Route("/run_sse", agent.run_sse, methods=["POST"]),
        Route("/api/auth/anonymous-token", auth.anonymous_token, methods=["POST"]),
        Route("/api/auth/claim-token", auth.claim_token, methods=["POST"]),
        Route("/workspace/claim", auth.claim_page, methods=["GET"]),
        Route("/api/tasks/me/with-session/nemo_agent", sessions.create_session, methods=["POST"]),
        Route("/api/upload-video/nemo_agent/me/{session_id}", uploads.upload, methods=["POST"]),
        Route("/api/render/proxy/lambda", render.submit, methods=["POST"]),
        Route("/api/render/proxy/{render_id}/download", render.download, methods=["GET"]),
        Route("/media/renders/{name}", render.media, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
    ]


def control_routes() -> list[BaseRoute]:
    """The control plane under /_mock."""
    return [
        Route("/_mock/health", control.health, methods=["GET"]),
        Route("/_mock/reset", control.reset, methods=["POST"]),
        Route("/_mock/clock", control.clock, methods=["GET"]),
        Route("/_mock/clock/advance", control.clock_advance, methods=["POST"]),
        Route("/_mock/config", control.config, methods=["GET", "PATCH"]),
        Route("/_mock/journal", control.journal, methods=["GET", "DELETE"]),
        Route("/_mock/journal.ndjson", control.journal_ndjson, methods=["GET"]),
        Route("/_mock/journal.har", control.journal_har, methods=["GET"]),
        Route("/_mock/faults", control.faults, methods=["GET", "POST", "DELETE"]),
        Route("/_mock/faults/{rule_id}", control.fault, methods=["GET", "DELETE"]),
        Route("/_mock/verify", control.verify_, methods=["POST"]),
        Route("/_mock/tokens/revoke", control.token_revoke, methods=["POST"]),
        Route("/_mock/tokens/expire", control.token_expire, methods=["POST"]),
        Route("/_mock/users", control.users, methods=["POST"]),
        Route("/_mock/users/{user_id}/credits", control.user_credits, methods=["POST"]),
        Route("/_mock/state", control.state, methods=["GET", "PUT"]),
        Route("/_mock/bundle", control.bundle, methods=["GET"]),
        Route("/_mock/scenario", control.scenario_, methods=["POST"]),
        Route("/_mock/openapi.json", control.openapi_json, methods=["GET"]),
        Route("/_mock/overview", ui.overview, methods=["GET"]),
        Route("/_mock/ui", ui.page, methods=["GET"]),
        Route("/_mock/ui/{name}", ui.page, methods=["GET"]),
    ]


async def openapi_json(request: Request) -> Response:
    """The API's OpenAPI document."""
    return JSONResponse(contracts.openapi())


def _mode(request: Request) -> str:
    world: World = request.app.state.world
    return world.settings.error_status


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, _mode(request))


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_TO_CODE.get(exc.status_code, 400)
    message = "No such endpoint." if exc.status_code == 404 else str(exc.detail)
    resp = Envelope(None, code=code, message=message, status=exc.status_code)
    if exc.headers:
        resp.headers.update(exc.headers)
    return resp


async def _on_crash(request: Request, exc: Exception) -> Response:
    log.exception("emulator bug on %s %s", request.method, request.url.path)
    return Envelope(None, code=500, message=f"Emulator error: {type(exc).__name__}", status=500)


class EmulatorApp(Starlette):
    """Starlette, except that the polled reads are answered before its middleware stack."""

    world: World

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await polled.serve(self.world, scope, send):
            await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None, world: World | None = None, **extra: Any
) -> Starlette:
    """The emulator as an ASGI app. Pass a `world` to share or inspect its state."""
    world = world or World(settings or Settings())
    if settings is not None and world.settings is not settings:
        world.configure(settings)
    # outermost first: autosave (with --state-file) > journal > faults (so the journal sees them)
    middleware = [
        Middleware(JournalMiddleware, world=world),
        Middleware(FaultMiddleware, world=world),
    ]
    if world.settings.store != "memory":  # before the state file: a store with state wins
        stores.attach(world, world.settings.store)
        middleware.insert(0, Middleware(stores.StoreMiddleware, world=world))
    if world.settings.state_file:
        snapshot.attach(world, world.settings.state_file)
        middleware.insert(0, Middleware(snapshot.AutosaveMiddleware, world=world))
    app = EmulatorApp(
        routes=[*api_routes(), *control_routes()],
        middleware=middleware,
        exception_handlers={
            ApiError: _on_api_error,
            HTTPException: _on_http_error,
            Exception: _on_crash,
        },
    )
    app.state.world = app.world = world
    return app
