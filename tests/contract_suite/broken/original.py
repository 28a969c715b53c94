"""The first seven broken servers: each is our emulator with one contract rule broken."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from nemo_mock.server import Settings, World, create_app
from nemo_mock.server.errors import ApiError

from ._asgi import EditStream, RewriteJson


def envelope_code_as_string(settings: Settings) -> tuple[Any, World]:
    """Every envelope's code is a string ("0") instead of the documented integer."""
    world = World(settings)

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        if isinstance(body, dict) and "code" in body:
            body["code"] = str(body["code"])
        return body

    return RewriteJson(create_app(settings, world), "/api", edit), world


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

    return RewriteJson(create_app(settings, world), "/api/render/proxy/lambda/", edit), world


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

    return RewriteJson(create_app(settings, world), "/api/upload-video", edit), world


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


def _drop_heartbeats(chunk: bytes) -> bytes:
    blocks = chunk.split(b"\n\n")
    keep = [b for b in blocks if b.strip() and not b.startswith(b":") and b.strip() != b"data:"]
    return b"".join(k + b"\n\n" for k in keep)


def no_heartbeats(settings: Settings) -> tuple[Any, World]:
    """/run_sse sends no heartbeats while work runs."""
    world = World(settings)
    return EditStream(create_app(settings, world), chunk=_drop_heartbeats), world
