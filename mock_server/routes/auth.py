"""Tokens: anonymous token (DESIGN §3.2), claim token and the claim page."""

from __future__ import annotations

import html
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from nemo_mock import contracts
from nemo_mock.server.errors import ApiError
from nemo_mock.server.http import (
    base_url,
    client_ip,
    ok,
    read_json,
    require_str,
    session_of,
    user_of,
    world_of,
)
from nemo_mock.server.routes.ui import asset


async def anonymous_token(request: Request) -> Response:
    """Mint a 7-day token for X-Client-Id (400 without it, 429 past the limits)."""
    client_id = request.headers.get("x-client-id", "").strip()
    if not client_id:
        raise ApiError(400, "Missing X-Client-Id header: generate a UUID and retry.")
    if len(client_id) > 200:
        raise ApiError(400, "X-Client-Id is too long (200 characters at most).")
    world = world_of(request)
    token, user = world.mint_anonymous(client_id, client_ip(request))
    return ok(
        {
            "token": token.value,
            "credits": user.available,
            "expires_in": int(token.expires_at - world.now()),
            "user_id": user.id,
        }
    )


async def claim_token(request: Request) -> Response:
    """A claim token for one of the user's sessions (the page link carries it, not the token)."""
    user = user_of(request)
    body = await read_json(request)
    require_str(body, "task_id")
    session_id = require_str(body, "session_id") or ""
    session = session_of(request, user, session_id)
    if body["task_id"] != session.task_id:
        raise ApiError(1002, "task_id does not belong to that session.")
    world = world_of(request)
    claim = world.claim(user, session)
    return ok(
        {
            "claim_token": claim.value,
            "expires_in": int(claim.expires_at - world.now()),
            "url": f"{base_url(request)}/workspace/claim?ct={claim.value}",
        }
    )


async def claim_page(request: Request) -> Response:
    """The web page a claim link opens (the emulator plays NEMO_WEB_URL): the session's timeline."""
    world = world_of(request)
    claim = world.claims.get(request.query_params.get("ct", ""))
    if claim is None or claim.expires_at <= world.now():
        return HTMLResponse(
            _page("Link expired", "<p>This claim link is unknown or expired.</p>"), 404
        )
    session = world.sessions.get(claim.session_id)
    if session is None:
        return HTMLResponse(_page("Session gone", "<p>The session no longer exists.</p>"), 404)
    # the draft goes in as JSON inside a <script> block: `<` is escaped so no value can close it
    draft = json.dumps(session.draft, ensure_ascii=False).replace("<", "\\u003c")
    body = (
        f"<h1>{html.escape(session.name)}</h1>"
        "<div id='timeline'></div>"
        f"<p id='summary'>{html.escape(contracts.summary(session.draft))}</p>"
        f"<p class='muted'>Session {html.escape(session.id)} · version {session.version}</p>"
        f"<script>{asset('timeline.js')}</script>"
        f"<script>document.getElementById('timeline').innerHTML = "
        f"NemoTimeline.svg({draft}, {{width: 760}});</script>"
    )
    return HTMLResponse(_page("Your project", body))


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
        f"<title>{html.escape(title)}</title><style>{asset('style.css')}"
        "body{padding:16px 24px}</style></head>"
        f"<body>{body}</body></html>"
    )
