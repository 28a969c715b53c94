"""/run_sse: framing, events, pre-stream errors, edit turns (DESIGN §3.4).

Turns run at a high time scale when the target has a virtual clock and a control plane (restored
after the check), so a 10-30 s edit takes milliseconds. Heartbeats: checks_heartbeat.py.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import jsonschema

from nemo_mock import contracts

from . import citations as C
from .registry import MUST, SHOULD, CheckFailed, FixtureError, check, expect
from .sse_read import Stream, read_stream
from .target import Target

TEXT_TURN = "what can you do?"
EDIT_TURN = "add lo-fi background music at 35% volume"
FACTS = contracts.facts()


def body(session_id: str, text: str) -> dict[str, Any]:
    return {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"role": "user", "parts": [{"text": text}]},
    }


def stream_ok(stream: Stream, what: str) -> None:
    """What the documents require of any turn's stream (MUST level)."""
    expect(
        stream.envelope is None,
        f"{what}: expected an event stream, got HTTP {stream.status} {stream.envelope!r}",
    )
    expect(stream.status == 200, f"{what}: HTTP {stream.status}")
    bad = [i.raw[:60] for i in stream.items if i.kind == "bad"]
    expect(
        not bad,
        f"{what}: data frames must be events (JSON objects) or empty heartbeats; got {bad[:3]}",
    )
    expect(not stream.stalled, f"{what}: {stream.stalled}")
    expect(stream.closed, f"{what}: the stream must end by closing")
    expect(
        not stream.tail.strip(), f"{what}: the stream ended inside a frame: {stream.tail[:80]!r}"
    )


def fast_turn(t: Target, token: str, sid: str, text: str, scale: float | None = None) -> Stream:
    """One turn at the fastest time scale the target allows; deadlines follow the scale."""
    real = t.time_scale(scale or t.fast_scale) or 1.0
    longest = FACTS["turn"]["generation_seconds"][1]
    interval = t.caps.heartbeat_interval or float(FACTS["turn"]["heartbeat_interval_seconds"])
    stream = read_stream(
        t, token, body(sid, text), deadline=longest / real * 2 + 10, gap=interval / real * 4 + 5
    )
    env = stream.envelope
    if isinstance(env, dict) and env.get("code") == 2001:  # the fixture ran out, not the rule
        raise FixtureError(f"the turn needs credits the token no longer has: {env}")
    return stream


def changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The session changed: its state differs, or its version grew (where it has one)."""
    if after.get("state") != before.get("state"):
        return True
    old, new = before.get("version"), after.get("version")
    return isinstance(old, int) and isinstance(new, int) and new > old


def _session(t: Target, who: str = "a") -> tuple[str, str]:
    token = t.token(who)
    return token, t.session(token)["session_id"]


def paying_session(t: Target, purpose: str) -> tuple[str, str]:
    """A token and session for a turn that costs credits: its own token, so that one check's
    spending never leaves the next without credits (without a control plane tokens are kept
    for the whole run)."""
    return _session(t, f"pays for {purpose}")


@check("sse.framing", MUST, cites=(C.SSE_REQUEST, C.SSE_EVENTS, C.SSE_CLOSES))
def framing(t: Target) -> None:
    """A text turn answers text/event-stream whose data frames are JSON events with a text part,
    and ends by closing."""
    token, sid = _session(t)
    stream = fast_turn(t, token, sid, TEXT_TURN)
    stream_ok(stream, "text turn")
    expect(
        stream.content_type.startswith("text/event-stream"),
        f"content-type must be text/event-stream: {stream.content_type!r}",
    )
    expect(stream.texts(), f"a text turn answers with a text part: {stream.events[:3]}")


@check("sse.adk_framing", SHOULD, cites=(C.ADK_FRAMING,))
def adk_framing(t: Target) -> None:
    """Frames are `data: <compact JSON>` + LF LF, no event:/id: lines, valid ADK events, charset
    utf-8, the user's message not echoed."""
    token, sid = _session(t)
    stream = fast_turn(t, token, sid, TEXT_TURN)
    stream_ok(stream, "text turn")
    expect(not stream.quirks, f"not ADK's framing: {stream.quirks[:3]}")
    expect(
        "charset=utf-8" in stream.content_type.replace(" ", "").lower(),
        f"content-type should declare charset=utf-8: {stream.content_type!r}",
    )
    schema = contracts.json_schema("adk_event")
    for item in stream.items:
        if item.kind != "event":
            continue
        try:
            jsonschema.validate(item.data, schema)
        except jsonschema.ValidationError as exc:
            expect(False, f"not an ADK event: {exc.message} in {item.raw[:160]!r}")
        compact = {
            json.dumps(item.data, separators=(",", ":"), ensure_ascii=a).encode()
            for a in (False, True)
        }
        expect(item.raw in compact, f"frames should carry compact JSON: {item.raw[:80]!r}")
        role = (item.data.get("content") or {}).get("role")
        expect(role != "user", "the user's message should not be echoed")


@check("sse.camel_case_body", SHOULD, cites=(C.ADK_CAMEL,))
def camel_case(t: Target) -> None:
    """ADK's camelCase request keys (appName, userId, sessionId, newMessage) are accepted."""
    token, sid = _session(t)
    t.time_scale(t.fast_scale)
    payload = {
        "appName": "nemo_agent",
        "userId": "me",
        "sessionId": sid,
        "newMessage": {"role": "user", "parts": [{"text": TEXT_TURN}]},
    }
    stream = read_stream(t, token, payload, deadline=30)
    stream_ok(stream, "camelCase body")
    expect(stream.events, "a camelCase turn must stream events")


def _prestream(t: Target, token: str, payload: Any, code: int, what: str) -> None:
    stream = read_stream(t, token, payload, deadline=15)
    expect(
        stream.envelope is not None,
        f"{what}: expected a JSON envelope before any stream, got {stream.content_type!r} "
        f"with {len(stream.items)} frames",
    )
    env = stream.envelope
    expect(
        isinstance(env, dict) and env.get("code") == code,
        f"{what}: expected code {code}, got {env!r}",
    )
    allowed = t.allowed_statuses(code)
    expect(
        stream.status in allowed,
        f"{what}: code {code} must come with HTTP {sorted(allowed)}, got {stream.status}",
    )


@check("sse.prestream_errors", MUST, cites=(C.BAD_TOKEN, C.SESSION_NOT_FOUND, C.SSE_EVENTS))
def prestream_errors(t: Target) -> None:
    """A bad token (1001) and an unknown session (1002) answer a JSON envelope, not a stream."""
    token, sid = _session(t)
    _prestream(t, "nmv_usr_not_a_real_token_0000", body(sid, TEXT_TURN), 1001, "bad token")
    _prestream(t, token, body(str(uuid.uuid4()), TEXT_TURN), 1002, "unknown session")


@check("sse.prestream_malformed", SHOULD, cites=(C.MALFORMED_400,))
def prestream_malformed(t: Target) -> None:
    """A body without new_message answers 400 as JSON, not a stream."""
    token, sid = _session(t)
    _prestream(t, token, {"app_name": "nemo_agent", "session_id": sid}, 400, "no new_message")


@check(
    "sse.edit_turn",
    MUST,
    cites=(C.SILENT_EDITS, C.SILENT_SEEDS, C.SSE_CLOSES),
    spends_credits=True,
)
def edit_turn(t: Target) -> None:
    """An edit turn streams at least one event (tool calls at least), closes, and changes the
    session's state."""
    token, sid = paying_session(t, "an edit turn")
    before = t.state(token, sid)
    stream = fast_turn(t, token, sid, EDIT_TURN)
    stream_ok(stream, "edit turn")
    expect(stream.events, "an edit turn must stream events (at least its tool calls): none came")
    after = t.state(token, sid)
    expect(
        changed(before, after),
        "an edit turn must change the session's state (the timeline): it is unchanged",
    )


@check(
    "sse.no_credits",
    MUST,
    cites=(C.NO_CREDITS, C.SSE_EVENTS),
    needs=("control_plane",),
)
def no_credits(t: Target) -> None:
    """An edit turn the user cannot pay for answers 2001 as JSON before any stream."""
    token, sid = _session(t)
    t.configure(cost_edit=10_000)
    _prestream(t, token, body(sid, EDIT_TURN), 2001, "edit turn without enough credits")


@check("sse.no_credits_bind_id", SHOULD, cites=(C.BIND_ID,), needs=("control_plane",))
def no_credits_bind_id(t: Target) -> None:
    """The 2001 for an anonymous user carries the id for `?bind=<id>` (bind_id or the task id)."""
    token = t.token()
    sess = t.session(token)
    t.configure(cost_edit=10_000)
    stream = read_stream(t, token, body(sess["session_id"], EDIT_TURN), deadline=15)
    env = stream.envelope if isinstance(stream.envelope, dict) else {}
    data = env.get("data")
    if not isinstance(data, dict):
        raise CheckFailed(f"2001 should carry data: {env!r}")
    expect(
        data.get("bind_id") or sess["task_id"] in json.dumps(data),
        f"2001 data should carry data.bind_id (or the task id): {data!r}",
    )


@check(
    "sse.silent_close_rate",
    SHOULD,
    cites=(C.SILENT_SEEDS, C.SILENT_EDITS),
    needs=("control_plane",),
    turns=30,
)
def silent_close_rate(t: Target, turns: int) -> None:
    """About 30% of edit turns close without a text part (±3σ); the state changes anyway."""
    t.configure(cost_edit=0)
    token, sid = paying_session(t, "30 edit turns")
    silent = 0
    for n in range(turns):
        before = t.state(token, sid)
        stream = fast_turn(t, token, sid, f"{EDIT_TURN} #{n}")
        stream_ok(stream, f"edit turn {n}")
        if not stream.texts():
            silent += 1
            expect(
                changed(before, t.state(token, sid)),
                f"silently closed turn {n} did not change the state",
            )
    rate = FACTS["turn"]["silent_close_rate"]
    sd = (turns * rate * (1 - rate)) ** 0.5
    low, high = turns * rate - 3 * sd, turns * rate + 3 * sd
    t.note(f"{silent}/{turns} edit turns closed silently (expected about {rate:.0%})")
    expect(
        low <= silent <= high,
        f"{silent}/{turns} silent closes is outside {low:.1f}..{high:.1f} (about {rate:.0%})",
    )
