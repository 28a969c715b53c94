"""The three reads clients poll (credits, state, render status), and a fast path for them.

Clients poll these every few seconds, and load tests point fleets of clients at them, so the app
answers them before Starlette's middleware stack when nothing could change the answer's shape (a
GET, no fault rules installed): same data functions, same envelope bytes, same journal entry, but
without the router, Request objects and exception layers. Everything else, HEAD and any request
while fault rules exist take the ordinary route; so does a request the fast path cannot answer
(an emulator bug then gets the route's 500 envelope). `tests/mock_server/test_polled.py` checks
both paths answer byte for byte alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Scope, Send

from nemo_mock.server import renders
from nemo_mock.server.errors import ApiError, envelope_bytes
from nemo_mock.server.journal_middleware import close_entry, open_entry
from nemo_mock.server.model import Session, User
from nemo_mock.server.readings import missing, render_status_bytes, require_attribution
from nemo_mock.server.snapshot import autosaver_of
from nemo_mock.server.world import World

CREDITS = "/api/credits/balance/simple"
STATE_PREFIX, STATE_SUFFIX = "/api/state/nemo_agent/me/", "/latest"
RENDER_PREFIX = "/api/render/proxy/lambda/"


def credits_data(user: User) -> dict[str, int]:
    """`data` of GET /api/credits/balance/simple: available + frozen == total."""
    return {"available": user.available, "frozen": user.frozen, "total": user.total}


def state_data(session: Session) -> dict[str, Any]:
    """`data` of GET /api/state/nemo_agent/me/{session_id}/latest."""
    return {
        "task_id": session.task_id,
        "session_id": session.id,
        "version": session.version,
        "state": session.state(),
    }


def base_url_of(scope: Mapping[str, Any], host: str | None) -> str:
    """Scheme, host and port the client used (for URLs in answers)."""
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    root = str(scope.get("root_path", "")).rstrip("/")
    return f"{scope.get('scheme', 'http')}://{host}{root}"


def _header(raw: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in raw:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def answer(
    world: World, scope: Mapping[str, Any], notes: dict[str, Any] | None = None
) -> tuple[int, int, bytes] | None:
    """(HTTP status, body code, envelope bytes) for a polled GET, or None to take the route.

    `notes` receives what the journal records of the answer (state_version, render_status), as
    the routes note it.
    """
    notes = {} if notes is None else notes
    path: str = scope["path"]
    if path == CREDITS:
        kind, key = "credits", ""
    elif path.startswith(STATE_PREFIX) and path.endswith(STATE_SUFFIX):
        kind, key = "state", path[len(STATE_PREFIX) : -len(STATE_SUFFIX)]
    elif path.startswith(RENDER_PREFIX):
        kind, key = "render", path[len(RENDER_PREFIX) :]
    else:
        return None
    if kind != "credits" and (not key or "/" in key):
        return None  # not this route's shape: let the router answer (404 and friends)
    raw = scope["headers"]
    try:
        user = world.authenticate(_header(raw, b"authorization"))
        require_attribution(world.settings, missing(lambda n: _header(raw, n.lower().encode())))
        if kind == "credits":
            data: Any = credits_data(user)
        elif kind == "state":
            data = state_data(world.session_for(user, key))
            notes["state_version"] = data["version"]
        else:
            job = world.render_for(user, key)
            media = None
            if renders.status_at(job, world.now())[0] == "completed":
                media = renders.media_ready(world, job)
                if media is None:
                    return None  # the MP4 is not drawn yet: the route draws it off the loop
            host = base_url_of(scope, _header(raw, b"host"))
            view = renders.view(job, world.now(), host, world.settings, media)
            notes["render_status"] = view.get("status")
            return 200, 0, render_status_bytes(world.settings, view)
    except ApiError as exc:
        status = exc.status(world.settings.error_status)
        return status, exc.code, envelope_bytes(exc.code, exc.message, exc.data)
    return 200, 0, envelope_bytes(0, "success", data)


async def serve(world: World, scope: Scope, send: Send) -> bool:
    """Answer a polled GET (journalled) and return True, or False for the ordinary route."""
    if scope["type"] != "http" or scope["method"] != "GET" or len(world.faults):
        return False
    notes: dict[str, Any] = {}
    try:
        fast = answer(world, scope, notes)
    except Exception:  # an emulator bug: the route answers it, with its 500 envelope and log
        return False
    if fast is None:
        return False
    status, code, body = fast
    entry = open_entry(world, scope)
    entry["status"], entry["code"], entry["content_type"] = status, code, "application/json"
    entry.update(notes)
    headers = [  # as Starlette's Response writes them
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    finally:
        close_entry(world, entry)
        if world.settings.state_file:
            saver = autosaver_of(world)
            if saver is not None:
                saver.touch()
    return True
