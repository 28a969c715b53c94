"""Sessions, credits and state (DESIGN §3.3)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from nemo_mock import contracts
from nemo_mock.server.errors import ApiError
from nemo_mock.server.http import (
    note,
    ok,
    read_json,
    require_str,
    session_of,
    user_of,
    world_of,
)
from nemo_mock.server.polled import credits_data, state_data


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


async def credits_balance(request: Request) -> Response:
    """available + frozen == total, none negative."""
    user = user_of(request)
    return ok(credits_data(user))


async def session_state(request: Request) -> Response:
    """The session's latest state with its version."""
    user = user_of(request)
    session = session_of(request, user, request.path_params["session_id"])
    note(request, "state_version", session.version)
    return ok(state_data(session))
