"""Small helpers shared by the handlers: the world, JSON bodies, attribution, the answer."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from nemo_mock import contracts
from nemo_mock.server.endpoints import base_url_of
from nemo_mock.server.errors import ApiError, Envelope
from nemo_mock.server.journal import ATTRIBUTION
from nemo_mock.server.model import Session, User
from nemo_mock.server.readings import missing, require_attribution
from nemo_mock.server.world import World

MAX_JSON_BYTES = 8 * 1024 * 1024  # ASSUMPTION: JSON bodies above 8 MB answer 400


def world_of(request: Request) -> World:
    """The World behind this app."""
    world: World = request.app.state.world
    return world


def entry(request: Request) -> dict[str, Any]:
    """The journal entry of this exchange (a scratch dict when the request is not journalled)."""
    found: dict[str, Any] = request.scope.setdefault("state", {}).setdefault("journal_entry", {})
    return found


def note(request: Request, key: str, value: Any) -> None:
    """Add `key: value` to this exchange's journal entry."""
    entry(request)[key] = value


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object body; 400 when it is missing, too large, not JSON or not an object."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise ApiError(400, "JSON body too large.")
    if not body.strip():
        raise ApiError(400, "A JSON body is required.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "The JSON body must be an object.")
    note(request, "body", _summary(data))
    return data


def _summary(data: Any, limit: int = 2000) -> Any:
    text = json.dumps(data, ensure_ascii=False, default=str)
    return data if len(text) <= limit else {"truncated": text[:limit], "length": len(text)}


def require_str(body: dict[str, Any], *names: str, optional: bool = False) -> str | None:
    """The first of `names` present in `body` as a non-empty string (400 otherwise)."""
    for name in names:
        if name in body and body[name] is not None:
            value = body[name]
            if not isinstance(value, str) or not value.strip():
                raise ApiError(400, f"`{name}` must be a non-empty string.")
            return value
    if optional:
        return None
    raise ApiError(400, f"`{names[0]}` is required.")


def user_of(request: Request, *, attribution: bool = True) -> User:
    """The authenticated user (1001 otherwise, and with attribution_required=everywhere also
    when an attribution header is missing; the export judges those itself: attribution=False)."""
    world = world_of(request)
    user = world.authenticate(request.headers.get("authorization"))
    if attribution:
        require_attribution(world.settings, missing(request.headers.get))
    return user


def session_of(request: Request, user: User, session_id: str) -> Session:
    """`user`'s session (1002 otherwise)."""
    return world_of(request).session_for(user, session_id)


def missing_attribution(request: Request) -> list[str]:
    """The attribution headers this request lacks (names as the seeds spell them)."""
    names = contracts.facts()["attribution_headers"]
    return [n for n, key in zip(names, ATTRIBUTION, strict=True) if not request.headers.get(key)]


def base_url(request: Request) -> str:
    """Scheme, host and port the client used (for URLs in answers)."""
    return base_url_of(request.scope, request.headers.get("host"))


def client_ip(request: Request) -> str:
    """The peer address."""
    return request.client.host if request.client else "unknown"


def ok(data: Any) -> Envelope:
    """A success envelope."""
    return Envelope(data)
