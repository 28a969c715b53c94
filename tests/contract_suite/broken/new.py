"""Broken servers for the rules issue 14 named: each breaks exactly one documented rule."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send

from nemo_mock.server import Settings, World, create_app
from nemo_mock.server.media import Spec, draw

from ._asgi import EditRequest, EditStream, JsonAsStream, RewriteJson

ATTRIBUTION = {
    b"x-skill-source": b"video-create",
    b"x-skill-version": b"1.0.0",
    b"x-skill-platform": b"unknown",
}
APP_CODES = (1001, 1002, 2001, 4001, 4002)


def _plain(settings: Settings) -> tuple[Any, World]:
    world = World(settings)
    return create_app(settings, world), world


def done_frame(settings: Settings) -> tuple[Any, World]:
    """/run_sse ends with `event: done` + `data: [DONE]` instead of just closing."""
    app, world = _plain(settings)
    return EditStream(app, tail=b"event: done\ndata: [DONE]\n\n"), world


def prestream_as_stream(settings: Settings) -> tuple[Any, World]:
    """Pre-stream errors (1001, 1002, 2001) are sent as a 200 event stream, not JSON."""
    app, world = _plain(settings)
    return JsonAsStream(app), world


def edit_turn_without_events(settings: Settings) -> tuple[Any, World]:
    """/run_sse sends heartbeats only: every event frame is dropped (the state still changes)."""

    def drop_events(chunk: bytes) -> bytes:
        blocks = chunk.split(b"\n\n")
        keep = [b for b in blocks if b.strip() and not b.startswith(b"data: {")]
        return b"".join(k + b"\n\n" for k in keep)

    app, world = _plain(settings)
    return EditStream(app, chunk=drop_events), world


def range_ignored(settings: Settings) -> tuple[Any, World]:
    """output.url advertises byte ranges but answers a Range request with the whole file (200)."""
    app, world = _plain(settings)

    def strip(headers: dict[bytes, bytes]) -> dict[bytes, bytes]:
        headers.pop(b"range", None)
        return headers

    return EditRequest(app, lambda s: s["path"].startswith("/media/"), strip), world


def export_402_not_enforced(settings: Settings) -> tuple[Any, World]:
    """An export without the X-Skill-* headers is accepted (the headers are made up for it)."""
    app, world = _plain(settings)

    def add(headers: dict[bytes, bytes]) -> dict[bytes, bytes]:
        return {**ATTRIBUTION, **headers}

    return EditRequest(app, lambda s: s["path"] == "/api/render/proxy/lambda", add), world


def per_client_limit_ignored(settings: Settings) -> tuple[Any, World]:
    """One client id may mint many tokens within 7 days."""
    return _plain(settings.merged({"tokens_per_client": 1000}))


def blank_client_id_accepted(settings: Settings) -> tuple[Any, World]:
    """A blank X-Client-Id mints a token (a random id is made up for it)."""
    app, world = _plain(settings)

    def fill(headers: dict[bytes, bytes]) -> dict[bytes, bytes]:
        if b"x-client-id" in headers and not headers[b"x-client-id"].strip():
            headers[b"x-client-id"] = str(uuid.uuid4()).encode()
        return headers

    return EditRequest(app, lambda s: s["path"] == "/api/auth/anonymous-token", fill), world


def upload_limit_ignores_profile(settings: Settings) -> tuple[Any, World]:
    """Every upload gets the default 500 MB limit, whatever X-Skill-Source says."""
    app, world = _plain(settings)

    def default(headers: dict[bytes, bytes]) -> dict[bytes, bytes]:
        headers[b"x-skill-source"] = b"video-create"
        return headers

    return EditRequest(app, lambda s: s["path"].startswith("/api/upload-video/"), default), world


def wrong_status_in_http_mode(settings: Settings) -> tuple[Any, World]:
    """Declares error_status=http but sends app errors on HTTP 200."""
    settings = settings.merged({"error_status": "http"})
    app, world = _plain(settings)

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        if isinstance(body, dict) and body.get("code") in APP_CODES:
            body["__status__"] = 200
        return body

    return RewriteJson(app, "/api", edit), world


def token_always_429(settings: Settings) -> tuple[Any, World]:
    """The anonymous-token endpoint always answers 429."""
    inner, world = _plain(settings)
    answer = json.dumps({"code": 429, "message": "Rate limit exceeded.", "data": None}).encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/auth/anonymous-token":
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": answer})
            return
        await inner(scope, receive, send)

    return app, world


def render_fails_at_once(settings: Settings) -> tuple[Any, World]:
    """Every status poll answers `failed`, from the first poll on."""
    app, world = _plain(settings)

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        data = body.get("data")
        if scope["method"] == "GET" and isinstance(data, dict) and "status" in data:
            data.update(status="failed", error="render node lost", output=None)
        return body

    return RewriteJson(app, "/api/render/proxy/lambda/", edit), world


def fallback_serves_other_bytes(settings: Settings) -> tuple[Any, World]:
    """The fallback download serves a shorter MP4 than output.url (a different file)."""
    inner, world = _plain(settings)
    with tempfile.TemporaryDirectory() as tmp:  # a real MP4, but not the render's: one frame
        path = Path(tmp) / "other.mp4"
        draw(Spec(32, 32, 10, 1, (), (), None), path)
        other = path.read_bytes()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.endswith("/download"):
            headers = [
                (b"content-type", b"video/mp4"),
                (b"content-length", str(len(other)).encode()),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": other})
            return
        await inner(scope, receive, send)

    return app, world


def claim_page_without_session(settings: Settings) -> tuple[Any, World]:
    """The claim page is a generic welcome page that never shows the claimed session."""
    inner, world = _plain(settings)
    page = b"<!doctype html><html><body><h1>Welcome to Nemo</h1></body></html>"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/workspace/claim":
            headers = [(b"content-type", b"text/html; charset=utf-8")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": page})
            return
        await inner(scope, receive, send)

    return app, world
