"""The live dashboard (/_mock/ui) and the read model it shows (/_mock/overview).

The dashboard is static HTML, JS and CSS shipped as package data (mock_server/ui/; no build step,
no CDN) and reads only documented control-plane endpoints (contracts/control-openapi.yaml), so it
doubles as their live example. Both are guarded like the rest of the control plane; with an admin
token set, a browser is asked for it through HTTP Basic authentication (any user name, the token
as password), which the browser then sends with the dashboard's own requests.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nemo_mock import contracts
from nemo_mock.server import renders
from nemo_mock.server.errors import ApiError, error_response
from nemo_mock.server.http import ok, world_of
from nemo_mock.server.routes.control import guard

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "timeline.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
REALM = 'Basic realm="nemo-mock control plane", charset="UTF-8"'


def asset(name: str) -> str:
    """A dashboard file's text (package data)."""
    return resources.files("nemo_mock.server").joinpath("ui", name).read_text(encoding="utf-8")


async def page(request: Request) -> Response:
    """GET /_mock/ui and /_mock/ui/{name}: the dashboard's files."""
    try:
        guard(request)
    except ApiError as exc:
        resp = error_response(exc, world_of(request).settings.error_status)
        if exc.http_status == 401:  # let the browser ask for the admin token
            resp.headers["WWW-Authenticate"] = REALM
        return resp
    name = request.path_params.get("name") or "index.html"
    if name not in ASSETS:
        raise ApiError(404, f"No dashboard file {name!r}.")
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return Response(asset(name), media_type=ASSETS[name], headers=headers)


def overview_data(request: Request) -> dict[str, Any]:
    """Sessions with their drafts, users with credits, renders with status, clock, journal size."""
    world = world_of(request)
    now = world.now()
    sessions = [
        {
            "session_id": s.id,
            "task_id": s.task_id,
            "user_id": s.user_id,
            "name": s.name,
            "language": s.language,
            "version": s.version,
            "turns": s.turns,
            "created_at": s.created_at,
            "last_active": s.last_active,
            "draft": s.draft,
            "summary": contracts.summary(s.draft),
        }
        for s in world.sessions.values()
    ]
    users = [
        {
            "user_id": u.id,
            "registered": u.registered,
            "available": u.available,
            "frozen": u.frozen,
            "total": u.total,
        }
        for u in world.users.values()
    ]
    jobs = []
    for r in world.renders.values():
        status, progress = renders.status_at(r, now)
        jobs.append(
            {
                "id": r.id,
                "session_id": r.session_id,
                "user_id": r.user_id,
                "status": status,
                "progress": round(progress, 4),
                "submitted_at": r.submitted_at,
                "stalled": r.stalled,
            }
        )
    entries = list(world.journal)
    return {
        "clock": world.clock.state(),
        "sessions": sessions,
        "users": users,
        "renders": jobs,
        "journal": {
            "count": len(entries),
            "dropped": world.journal.dropped,
            "last_seq": int(entries[-1]["seq"]) if entries else 0,
        },
    }


async def overview(request: Request) -> Response:
    """GET /_mock/overview: what the dashboard draws (no token values: ids only)."""
    guard(request)
    return ok(overview_data(request))
