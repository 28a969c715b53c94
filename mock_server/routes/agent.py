"""POST /run_sse: the agent turn (DESIGN §3.4).

Every pre-stream failure is raised as ApiError before the response starts, so it answers as a JSON
envelope: 1001 (token), 400 (malformed body), 1002 (session), 2001 (credits for the turn's cost).
Then the turn starts as its own task and the response forwards its frames.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nemo_mock import contracts
from nemo_mock.server.errors import ApiError
from nemo_mock.server.http import entry, read_json, session_of, user_of, world_of
from nemo_mock.server.readings import turn_cost
from nemo_mock.server.sse import SseResponse
from nemo_mock.server.turn_intent import Intent, classify, intent_for_kind
from nemo_mock.server.turns import Turn, TurnOverrides, Turns, new_record


def _field(body: dict[str, Any], snake: str, camel: str) -> Any:
    """A body field by its snake_case name or ADK's camelCase alias."""
    return body[snake] if snake in body else body.get(camel)


def parse_message(body: dict[str, Any]) -> str:
    """The text of `new_message` (its text parts joined); 400 when there is none."""
    message = _field(body, "new_message", "newMessage")
    parts = message.get("parts") if isinstance(message, dict) else None
    if not isinstance(parts, list):
        raise ApiError(400, "`new_message.parts` is required.")
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    text = "\n".join(t for t in texts if t.strip())
    if not text:
        raise ApiError(400, "`new_message.parts` needs a non-empty text part.")
    return text


def parse_body(body: dict[str, Any]) -> tuple[str, str, bool]:
    """(session_id, message text, streaming) from a run_sse body; 400 when malformed."""
    app_name = _field(body, "app_name", "appName")
    expected = contracts.facts()["app_name"]
    if app_name != expected:
        raise ApiError(400, f"`app_name` must be {expected!r}.")
    user_id = _field(body, "user_id", "userId")
    if user_id is not None and not isinstance(user_id, str):
        raise ApiError(400, "`user_id` must be a string.")
    session_id = _field(body, "session_id", "sessionId")
    if not isinstance(session_id, str) or not session_id.strip():
        raise ApiError(400, "`session_id` is required.")
    streaming = body.get("streaming", False)
    if not isinstance(streaming, bool):
        raise ApiError(400, "`streaming` must be a boolean.")
    return session_id, parse_message(body), streaming


async def run_sse(request: Request) -> Response:
    """One agent turn as `text/event-stream` (or a JSON envelope when it cannot start)."""
    world = world_of(request)
    user = user_of(request)
    session_id, message, streaming = parse_body(await read_json(request))
    session = session_of(request, user, session_id)
    overrides = TurnOverrides.of(request.scope.get("state", {}).get("turn_overrides"))
    intent: Intent = classify(message)
    if overrides.kind is not None:
        try:
            intent = intent_for_kind(overrides.kind, message)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
    cost = turn_cost(world.settings, intent.kind, session)
    world.freeze(user, cost, session)  # 2001 here, before any frame
    if intent.kind == "edit" and cost > 0:
        session.edit_charged = True  # held now; given back if the turn fails (turns.py)
    session.turns += 1
    record = new_record(session.turns, intent, cost, overrides)
    entry(request)["turn"] = record
    turn = Turn(
        world,
        user,
        session,
        number=session.turns,
        intent=intent,
        message=message,
        cost=cost,
        streaming=streaming,
        overrides=overrides,
        record=record,
    )
    Turns.of(world).start(turn.run())

    def on_end(reason: str) -> None:
        record["stream_end"] = reason
        record["vstream_end"] = world.now()
        if reason == "truncated":
            record["truncated"] = True

    return SseResponse(turn.pipe, truncate_after=overrides.truncate_after, on_end=on_end)
