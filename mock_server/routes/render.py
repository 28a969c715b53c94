"""Render (export): submit, poll, the MP4 and its fallback download (DESIGN §3.5)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from nemo_mock import contracts
from nemo_mock.server import renders
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

MEDIA = Path(str(resources.files("nemo_mock.server").joinpath("assets/render.mp4")))
MEDIA_SIZE = MEDIA.stat().st_size
_MEDIA_NAME = re.compile(r"^[0-9a-f]{24}\.mp4$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


async def submit(request: Request) -> Response:
    """Start a render; free; 402 without attribution; 400 for a draft without content."""
    user = user_of(request)
    lacking = missing_attribution(request)
    if lacking:
        note(request, "export_blocked_for", lacking)
        raise ApiError(402, f"Free plan export blocked (missing {', '.join(lacking)}).")
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
    world = world_of(request)
    session = session_of(request, user, session_id)
    if not contracts.has_content(draft):
        raise ApiError(400, "The draft has no content: add a clip before exporting.")
    job = world.submit_render(user, session, render_id, draft)
    job.output["size"] = MEDIA_SIZE
    return ok(renders.view(job, world.now(), base_url(request)))


async def status(request: Request) -> Response:
    """Poll a render: pending -> processing -> completed | failed; progress never decreases."""
    user = user_of(request)
    world = world_of(request)
    job = world.render_for(user, request.path_params["render_id"])
    view = renders.view(job, world.now(), base_url(request))
    note(request, "render_status", view.get("status"))
    return ok(view)


async def download(request: Request) -> Response:
    """The fallback download of a completed render (authenticated)."""
    user = user_of(request)
    world = world_of(request)
    job = world.render_for(user, request.path_params["render_id"])
    state, _ = renders.status_at(job, world.now())
    if state != "completed":
        # ASSUMPTION (contracts/openapi.yaml, renderDownload): nothing to download yet is a 404
        raise ApiError(404, f"Render is {state}, not completed: poll until status is completed.")
    return _mp4(job.id)


async def media(request: Request) -> Response:
    """output.url: the rendered MP4, no token needed (a token never goes in a URL)."""
    name = request.path_params["name"]
    world = world_of(request)
    if not _MEDIA_NAME.match(name) or not any(
        r.media_name == name and renders.status_at(r, world.now())[0] == "completed"
        for r in world.renders.values()
    ):
        raise ApiError(404, "No such media.")
    return _mp4(name)


def _mp4(name: str) -> Response:
    filename = name if name.endswith(".mp4") else f"{name}.mp4"
    return FileResponse(MEDIA, media_type="video/mp4", filename=filename)
