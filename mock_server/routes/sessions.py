"""Sessions, credits and state (DESIGN §3.3)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from nemo_mock import contracts
from nemo_mock.server.endpoints import ScopeEndpoint, note_scope, user_of_scope
from nemo_mock.server.errors import ApiError
from nemo_mock.server.http import ok, read_json, require_str, user_of, world_of
from nemo_mock.server.world import World


async def create_session(request: Request) -> Response:
    """A new session owned by the token's user; `language` optional (seed 003 omits it)."""
    user = user_of(request)
    body = await read_json(request)
    name = require_str(body, "task_name") or ""
    language = body.get("language")
    if language is None:
        language = contracts.facts()["session"]["default_language"]
    elif not isinstance(language, str) or not language.strip() or len(language) > 35:
        raise ApiError(400, "`language` must be a language tag such as 'en' or 'zh'.")
    if len(name) > 500:
        raise ApiError(400, "`task_name` is too long (500 characters at most).")
    session = world_of(request).create_session(user, name, language)
    return ok({"task_id": session.task_id, "session_id": session.id})


@ScopeEndpoint
def credits_balance(world: World, scope: Scope) -> dict[str, int]:
    """available + frozen == total, none negative."""
    user = user_of_scope(world, scope)
    return {"available": user.available, "frozen": user.frozen, "total": user.total}


@ScopeEndpoint
def session_state(world: World, scope: Scope) -> dict[str, Any]:
    """The session's latest state with its version."""
    user = user_of_scope(world, scope)
    session = world.session_for(user, scope["path_params"]["session_id"])
    note_scope(scope, "state_version", session.version)
    return {
        "task_id": session.task_id,
        "session_id": session.id,
        "version": session.version,
        "state": session.state(),
    }
