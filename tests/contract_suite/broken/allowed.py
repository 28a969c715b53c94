"""Servers that chose differently where the documents allow it: each must pass the MUSTs.

Fairness, as the broken servers are power: a check that fails one of these requires more than
its sentence says.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from nemo_mock.server import Settings, World, create_app

from ._asgi import EditStream, RewriteJson


def render_status_bare(settings: Settings) -> tuple[Any, World]:
    """v1.9: "Status at top-level `status`": the job is answered bare, without the envelope."""
    world = World(settings)

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        data = body.get("data")
        if scope["method"] == "GET" and isinstance(data, dict) and "status" in data:
            return data
        return body

    return RewriteJson(create_app(settings, world), "/api/render/proxy/lambda/", edit), world


def envelope_without_message(settings: Settings) -> tuple[Any, World]:
    """The documented answers are `{"code":0,"data":{...}}`: no `message` key at all."""
    world = World(settings)

    def edit(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
        if isinstance(body, dict):
            body.pop("message", None)
        return body

    return RewriteJson(create_app(settings, world), "/api", edit), world


def crlf_framing(settings: Settings) -> tuple[Any, World]:
    """SSE allows CRLF line endings: every LF of the stream is sent as CRLF."""
    world = World(settings)
    app = EditStream(create_app(settings, world), chunk=lambda b: b.replace(b"\n", b"\r\n"))
    return app, world


def other_heartbeats(settings: Settings) -> tuple[Any, World]:
    """Heartbeats as `: ping` comments and `event: heartbeat` frames instead of ours."""
    world = World(settings)

    def swap(chunk: bytes) -> bytes:
        chunk = chunk.replace(b": heartbeat\n\n", b": ping\n\n")
        return chunk.replace(b"data:\n\n", b"event: heartbeat\ndata: {}\n\n")

    return EditStream(create_app(settings, world), chunk=swap), world


ALLOWED = {
    "render_status_bare": (
        render_status_bare,
        (
            "render.lifecycle",
            "render.output_mp4",
            "render.download_fallback",
            "schema.positive[renderStatus]",
            "schema.stateful",
        ),
    ),
    "envelope_without_message": (
        envelope_without_message,
        ("token.flow", "error.1002_unknown_session", "schema.positive[createSession]"),
    ),
    "crlf_framing": (crlf_framing, ("sse.framing", "sse.edit_turn", "sse.heartbeats")),
    "other_heartbeats": (other_heartbeats, ("sse.heartbeats", "sse.edit_turn")),
}
