"""Render (export): submit, poll, the MP4 and its fallback download (DESIGN §3.5)."""

from __future__ import annotations

import re
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.types import Scope

from nemo_mock import contracts
from nemo_mock.server import readings, renders
from nemo_mock.server.endpoints import ScopeEndpoint, note_scope, scope_base_url, user_of_scope
from nemo_mock.server.errors import ApiError
from nemo_mock.server.http import (
    base_url,
    missing_attribution,
    note,
    ok,
    read_json,
    require_str,
    session_of,
    user_of,
    world_of,
)
from nemo_mock.server.world import World

_MEDIA_NAME = re.compile(r"^[0-9a-f]{24}\.mp4$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_TRACKS = 100  # ASSUMPTION (contracts/README.md): a submitted draft has at most 100 tracks
MAX_SEGMENTS = 10_000  # ... and at most 10,000 segments in all


MAX_MS = 10**12  # a timeline of ~31 years: anything longer is a wrong value, not a film


def _ms(value: object) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    return 0 <= value <= MAX_MS


def draft_problem(draft: dict[str, object]) -> str | None:
    """What is wrong with the documented fields of a submitted draft (t, tt, sg, st, d), if any."""
    if draft.get("d") is not None and not _ms(draft["d"]):
        return "`draft.d` must be a duration in ms (an integer from 0 to 10^12)."
    tracks = draft.get("t")
    if tracks is None:
        return None
    if not isinstance(tracks, list):
        return "`draft.t` must be a list of tracks."
    if len(tracks) > MAX_TRACKS:
        return f"`draft.t` has {len(tracks)} tracks; at most {MAX_TRACKS}."
    segments = 0
    for i, track in enumerate(tracks):
        if not isinstance(track, dict):
            return f"`draft.t[{i}]` must be an object."
        if "tt" in track and (not isinstance(track["tt"], int) or isinstance(track["tt"], bool)):
            return f"`draft.t[{i}].tt` must be an integer track type."
        sg = track.get("sg")
        if sg is None:
            continue
        if not isinstance(sg, list):
            return f"`draft.t[{i}].sg` must be a list of segments."
        segments += len(sg)
        if segments > MAX_SEGMENTS:
            return f"The draft has more than {MAX_SEGMENTS} segments."
        for j, seg in enumerate(sg):
            if not isinstance(seg, dict):
                return f"`draft.t[{i}].sg[{j}]` must be an object."
            for key in ("st", "d"):
                if seg.get(key) is not None and not _ms(seg[key]):
                    return f"`draft.t[{i}].sg[{j}].{key}` must be ms (an integer from 0 to 10^12)."
    return None


async def submit(request: Request) -> Response:
    """Start a render; free; 402 without attribution (setting export_402); 400 for a draft
    without content."""
    user = user_of(request, attribution=False)
    lacking = missing_attribution(request)
    world = world_of(request)
    if readings.export_blocked(world.settings, user, lacking):
        note(request, "export_blocked_for", lacking)
        raise ApiError(402, f"Free plan export blocked (missing {', '.join(lacking)}).")
    readings.require_attribution(world.settings, lacking)
    body = await read_json(request)
    render_id = require_str(body, "id") or ""
    if not _ID.match(render_id):
        raise ApiError(400, "`id` must be 1-128 letters, digits or _.:- (e.g. render_1700000000).")
    session_id = require_str(body, "sessionId", "session_id") or ""
    output = body.get("output", {"format": "mp4", "quality": "high"})
    if not isinstance(output, dict) or output.get("format", "mp4") != "mp4":
        raise ApiError(400, "`output.format` must be 'mp4' (the only format the pipeline renders).")
    draft = body.get("draft")
    if not isinstance(draft, dict):
        raise ApiError(400, "`draft` must be the session's draft object.")
    problem = draft_problem(draft)
    if problem is not None:
        raise ApiError(400, problem)
    world = world_of(request)
    session = session_of(request, user, session_id)
    if not contracts.has_content(draft):
        raise ApiError(400, "The draft has no content: add a clip before exporting.")
    job = world.submit_render(user, session, render_id, draft)
    view = renders.view(world, job, lambda: base_url(request))
    return ok(view if isinstance(view, dict) else await view)


def render_status(
    world: World, scope: Scope
) -> dict[str, Any] | Coroutine[Any, Any, dict[str, Any]]:
    """Poll a render: pending -> processing -> completed | failed; progress never decreases.
    The body's shape follows the setting render_status_shape (envelope | bare | success)."""
    user = user_of_scope(world, scope)
    job = world.render_for(user, scope["path_params"]["render_id"])
    view = renders.view(world, job, lambda: scope_base_url(scope))
    if isinstance(view, dict):
        note_scope(scope, "render_status", view["status"])
        return view
    return _noted(scope, view)


async def _noted(scope: Scope, view: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    done = await view
    note_scope(scope, "render_status", done["status"])
    return done


def _status_body(world: World, view: dict[str, Any]) -> bytes:
    if view["status"] != "completed":  # made for this poll: nothing kept to look up
        return readings.render_status_bytes(world.settings, view)
    return renders.encoded(world, view, readings.render_status_bytes)


status = ScopeEndpoint(render_status, body=_status_body)


async def download(request: Request) -> Response:
    """The fallback download of a completed render (authenticated)."""
    user = user_of(request)
    world = world_of(request)
    job = world.render_for(user, request.path_params["render_id"])
    state, _ = renders.status_at(job, world.now())
    if state != "completed":
        # ASSUMPTION (contracts/openapi.yaml, renderDownload): nothing to download yet is a 404
        raise ApiError(404, f"Render is {state}, not completed: poll until status is completed.")
    return _mp4(await renders.media_path(world, job), job.id)


async def media(request: Request) -> Response:
    """output.url: the rendered MP4, no token needed (a token never goes in a URL)."""
    name = request.path_params["name"]
    world = world_of(request)
    job = next(
        (
            r
            for r in world.renders.values()
            if _MEDIA_NAME.match(name)
            and r.media_name == name
            and renders.status_at(r, world.now())[0] == "completed"
        ),
        None,
    )
    if job is None:
        raise ApiError(404, "No such media.")
    return _mp4(await renders.media_path(world, job), name)


def _mp4(path: Path, name: str) -> Response:
    filename = name if name.endswith(".mp4") else f"{name}.mp4"
    return FileResponse(path, media_type="video/mp4", filename=filename)
