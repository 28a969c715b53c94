"""Deliberately broken servers: each is our emulator with one contract rule broken.

`BROKEN` maps a name to (build, check id that MUST catch it, whether it needs /run_sse).
`build(settings)` returns (app, world) for a LiveServer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemo_mock.server import Settings, World, create_app
from nemo_mock.server.errors import ApiError


class _RewriteJson:
    """ASGI middleware that rewrites JSON bodies of matching paths.

    It buffers them, so it is for tiny bodies only.
    """

    def __init__(
        self,
        app: ASGIApp,
        path_prefix: str,
        edit: Callable[[dict[str, Any], Scope], dict[str, Any]],
    ) -> None:
        self.app, self.prefix, self.edit = app, path_prefix, edit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                ctype = dict(start.get("headers", [])).get(b"content-type", b"")
                if b"json" not in ctype:
                    if start:
                        await send(dict(start))
                        start.clear()
                    await send(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = json.loads(b"".join(chunks))
                new = json.dumps(self.edit(body, scope)).encode()
                status = start["status"]
                if isinstance(body, dict) and "__status__" in body:
                    status = body.pop("__status__")
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(new)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": new})
                return
            await send(message)

        await self.app(scope, receive, capture)


def envelope_message_renamed(settings: Settings) -> tuple[Any, World]:
    """Every envelope says `msg` instead of `message`."""
    world = World(settings)

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        if isinstance(body, dict) and "message" in body:
            body["msg"] = body.pop("message")
        return body

    return _RewriteJson(create_app(settings, world), "/api", edit), world


def render_goes_backwards(settings: Settings) -> tuple[Any, World]:
    """Every other poll of a render job answers `pending` with progress 0."""
    world = World(settings)
    polls: dict[str, int] = {}

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        if (
            scope["method"] == "GET"
            and isinstance(body.get("data"), dict)
            and "status" in body["data"]
        ):
            n = polls[scope["path"]] = polls.get(scope["path"], 0) + 1
            if n % 2 == 0:
                body["data"].update(status="pending", progress=0.0, output=None)
        return body

    return _RewriteJson(create_app(settings, world), "/api/render/proxy/lambda/", edit), world


class _LeakyWorld(World):
    def session_for(self, user: Any, session_id: str) -> Any:
        session = self.sessions.get(session_id)
        if session is None:
            raise ApiError(1002)
        return session  # the owner is never compared


def foreign_session_readable(settings: Settings) -> tuple[Any, World]:
    """Any user can read and upload into any session."""
    world = _LeakyWorld(settings)
    return create_app(settings, world), world


def heic_wrong_code(settings: Settings) -> tuple[Any, World]:
    """An unsupported file answers 400 instead of 4001."""
    world = World(settings)

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        if body.get("code") == 4001:
            body["code"], body["__status__"] = 400, 400
        return body

    return _RewriteJson(create_app(settings, world), "/api/upload-video", edit), world


class _ImmortalWorld(World):
    def authenticate(self, authorization: str | None) -> Any:
        for token in self.tokens.values():
            token.expires_at = float("inf")
        return super().authenticate(authorization)


def token_never_expires(settings: Settings) -> tuple[Any, World]:
    """Tokens are accepted after their 7 days."""
    world = _ImmortalWorld(settings)
    return create_app(settings, world), world


def crash_without_language(settings: Settings) -> tuple[Any, World]:
    """createSession without `language` (seed 003's body) crashes with a 500."""
    world = World(settings)
    inner = create_app(settings, world)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/tasks/me/with-session/nemo_agent":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and "task_name" in parsed and "language" not in parsed:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/plain")],
                    }
                )
                await send({"type": "http.response.body", "body": b"KeyError: 'language'"})
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await inner(scope, replay, send)
            return
        await inner(scope, receive, send)

    return app, world


class _StripHeartbeats:
    """Drops SSE comment lines and empty `data:` frames from /run_sse."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/run_sse":
            await self.app(scope, receive, send)
            return

        async def filtered(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                blocks = message["body"].split(b"\n\n")
                keep = [
                    b
                    for b in blocks
                    if b.strip() and not b.startswith(b":") and b.strip() != b"data:"
                ]
                message = {**message, "body": b"".join(k + b"\n\n" for k in keep)}
            await send(message)

        await self.app(scope, receive, filtered)


def no_heartbeats(settings: Settings) -> tuple[Any, World]:
    """/run_sse sends no heartbeats while work runs."""
    world = World(settings.merged({"time_scale": 5.0}))
    return _StripHeartbeats(create_app(world.settings, world)), world


BROKEN: dict[str, tuple[Callable[[Settings], tuple[Any, World]], str, bool]] = {
    "envelope_message_renamed": (envelope_message_renamed, "token.flow", False),
    "render_goes_backwards": (render_goes_backwards, "render.lifecycle", False),
    "foreign_session_readable": (foreign_session_readable, "error.1002_foreign_session", False),
    "heic_wrong_code": (heic_wrong_code, "error.4001_heic", False),
    "token_never_expires": (token_never_expires, "token.expiry", False),
    "crash_without_language": (crash_without_language, "schema.positive[createSession]", False),
    "no_heartbeats": (no_heartbeats, "sse.edit_turn", True),
}
