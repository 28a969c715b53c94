"""/run_sse against a live server (DESIGN §3.4): frames, heartbeats, silent closes, credits,
disconnects, serialization, the cap and the fault hook. Every stream read has a deadline."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse
from jsonschema import Draft202012Validator

from nemo_mock import contracts
from nemo_mock.server import create_app
from nemo_mock.server.serving import LiveServer
from nemo_mock.server.turn_plan import decide_silent
from nemo_mock.server.turn_record import TurnOverrides
from tests.conftest import ATTRIBUTION, make_settings

pytestmark = pytest.mark.live

STREAM_DEADLINE = 10.0  # seconds of wall time any one stream may take in these tests
FAST = 3000.0  # virtual seconds per real second: a 300 s generation takes 0.1 s


def body(session_id: str, text: str, **extra: Any) -> dict[str, Any]:
    """A run_sse body as the seeds write it."""
    return {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"parts": [{"text": text}]},
        **extra,
    }


@dataclass
class Stream:
    """What one /run_sse call delivered."""

    status: int
    content_type: str
    raw: bytes
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)

    @property
    def blocks(self) -> list[bytes]:
        """The raw SSE blocks (each without its terminating blank line)."""
        return [b for b in self.raw.split(b"\n\n") if b]

    @property
    def heartbeats(self) -> list[bytes]:
        return [b for b in self.blocks if b in (b": heartbeat", b"data: ")]

    def events(self) -> list[dict[str, Any]]:
        """The JSON frames, in order."""
        return [json.loads(b[len(b"data: ") :]) for b in self.blocks if b.startswith(b"data: {")]

    def parts(self, key: str, partial: bool = False) -> list[Any]:
        return [
            p[key]
            for e in self.events()
            if bool(e.get("partial")) == partial
            for p in e.get("content", {}).get("parts", [])
            if key in p
        ]

    def texts(self) -> list[str]:
        return self.parts("text")


class Client:
    """A sync httpx client against a live server (timeout on every call)."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.http = httpx.Client(base_url=live.url, timeout=5.0, headers=ATTRIBUTION)
        self._n = 0

    def token(self, credits: int | None = None) -> str:
        self._n += 1
        if credits is not None:
            token, _user = self.live.world.register_user(credits)
            return token.value
        r = self.http.post(
            "/api/auth/anonymous-token", headers={"X-Client-Id": f"turn-client-{self._n}"}
        )
        value: str = r.json()["data"]["token"]
        return value

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def session(self, token: str, language: str = "en") -> str:
        r = self.http.post(
            "/api/tasks/me/with-session/nemo_agent",
            headers=self.auth(token),
            json={"task_name": "project", "language": language},
        )
        sid: str = r.json()["data"]["session_id"]
        return sid

    def run(self, token: str, sid: str, text: str, **extra: Any) -> Stream:
        """One turn read to its end (fails instead of hanging past STREAM_DEADLINE)."""
        end = time.monotonic() + STREAM_DEADLINE
        with self.http.stream(
            "POST", "/run_sse", headers=self.auth(token), json=body(sid, text, **extra)
        ) as r:
            arrivals: list[tuple[float, bytes]] = []
            for chunk in r.iter_raw():
                arrivals.append((time.monotonic(), chunk))
                assert time.monotonic() < end, "stream exceeded its deadline"
            raw = b"".join(c for _, c in arrivals)
            return Stream(r.status_code, r.headers.get("content-type", ""), raw, arrivals)

    def version(self, token: str, sid: str) -> int:
        r = self.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=self.auth(token))
        version: int = r.json()["data"]["version"]
        return version

    def balance(self, token: str) -> dict[str, int]:
        data: dict[str, int] = self.http.get(
            "/api/credits/balance/simple", headers=self.auth(token)
        ).json()["data"]
        return data


def turn_records(live: LiveServer) -> list[dict[str, Any]]:
    """The journal's `turn` entries, in arrival order."""
    return [e["turn"] for e in live.world.journal if "turn" in e]


def wait_for(predicate: Callable[[], bool], deadline: float = 5.0) -> None:
    """Poll server-side state until `predicate` holds; fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while not predicate():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.005)


@pytest.fixture
def serve(live_server: Callable[..., LiveServer]) -> Iterator[Callable[..., Client]]:
    """Factory: a live server with these settings and a client for it."""
    clients: list[Client] = []

    def start(**settings: Any) -> Client:
        settings.setdefault("time_scale", FAST)
        client = Client(live_server(**settings))
        clients.append(client)
        return client

    yield start
    for c in clients:
        c.http.close()


@pytest.fixture
def serve_with(serve: Any) -> Iterator[Callable[..., Client]]:
    """Factory: a live server whose every /run_sse carries `TurnOverrides` (the fault hook)."""
    servers: list[LiveServer] = []

    def start(overrides: TurnOverrides, **settings: Any) -> Client:
        settings.setdefault("time_scale", FAST)
        app = create_app(make_settings(**settings))

        async def with_overrides(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                scope.setdefault("state", {})["turn_overrides"] = overrides
            await app(scope, receive, send)

        live = LiveServer(make_settings(**settings), world=app.state.world, app=with_overrides)
        live.start()
        servers.append(live)
        return Client(live)

    yield start
    for live in servers:
        live.stop()


# -- framing -------------------------------------------------------------------------------


def test_stream_is_event_stream_with_data_frames_only(serve: Callable[..., Client]) -> None:
    """'text/event-stream; charset=utf-8'; frames exactly `data: <compact JSON>\\n\\n`, LF only."""
    c = serve(heartbeat_interval=20)
    token = c.token(credits=1000)
    s = c.run(token, c.session(token), "generate a video", streaming=True)
    assert (s.status, s.content_type) == (200, "text/event-stream; charset=utf-8")
    assert b"\r" not in s.raw and s.raw.endswith(b"\n\n")
    for block in s.blocks:
        assert block in (b": heartbeat", b"data: ") or (
            block.startswith(b"data: {") and b"\n" not in block
        ), block
        if block.startswith(b"data: {"):
            obj = json.loads(block[6:])
            assert block[6:] == json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def test_every_frame_parses_with_httpx_sse_and_matches_the_adk_event_schema(
    serve: Callable[..., Client],
) -> None:
    """Frames are ADK events (contracts/schemas/adk_event.json); heartbeats are skipped."""
    c = serve(heartbeat_interval=20, heartbeat_style="data")
    token = c.token(credits=1000)
    sid = c.session(token)
    validator = Draft202012Validator(contracts.json_schema("adk_event"))
    seen = 0
    end = time.monotonic() + STREAM_DEADLINE
    for text in ("generate a video", "add music", "hello"):
        with connect_sse(
            c.http, "POST", "/run_sse", headers=c.auth(token), json=body(sid, text, streaming=True)
        ) as es:
            for event in es.iter_sse():
                assert time.monotonic() < end, "stream exceeded its deadline"
                if event.data == "":  # an empty data: heartbeat
                    continue
                errors = list(validator.iter_errors(event.json()))
                assert not errors, errors[0].message
                assert event.event == "message" and event.id == ""
                seen += 1
    assert seen >= 10


def test_events_are_adk_shaped_and_share_one_invocation(serve: Callable[..., Client]) -> None:
    """ADK events: id, invocationId 'e-…', author, virtual timestamp, camelCase actions."""
    c = serve()
    token = c.token(credits=1000)
    before = c.live.world.now()
    events = c.run(token, c.session(token), "generate a video").events()
    after = c.live.world.now()
    assert len({e["invocationId"] for e in events}) == 1 and events[0]["invocationId"].startswith(
        "e-"
    )
    assert len({e["id"] for e in events}) == len(events)
    for e in events:
        assert e["author"] == "nemo_agent" and before <= e["timestamp"] <= after
        assert set(e["actions"]) == {"stateDelta", "artifactDelta", "requestedAuthConfigs"}
        assert e["content"]["role"] == "model"


def test_user_message_is_not_echoed(serve: Callable[..., Client]) -> None:
    """'The user's message is not echoed.'"""
    c = serve()
    token = c.token(credits=1000)
    s = c.run(token, c.session(token), "hello there zebra-42")
    assert b"zebra-42" not in s.raw and all(e["author"] == "nemo_agent" for e in s.events())


def test_camel_case_aliases_are_accepted(serve: Callable[..., Client]) -> None:
    """'camelCase aliases accepted (appName, userId, sessionId, newMessage), as ADK does'."""
    c = serve()
    token = c.token(credits=1000)
    sid = c.session(token)
    payload = {
        "appName": "nemo_agent",
        "userId": "me",
        "sessionId": sid,
        "newMessage": {"parts": [{"text": "hi"}]},
    }
    with c.http.stream("POST", "/run_sse", headers=c.auth(token), json=payload) as r:
        raw = b"".join(r.iter_raw())
    assert r.headers["content-type"].startswith("text/event-stream") and b'"text":' in raw


def test_streaming_request_gets_partial_chunks_then_the_full_text(
    serve: Callable[..., Client],
) -> None:
    """'partial: true text chunks when asked for streaming (then a final non-partial event)'."""
    c = serve()
    token = c.token(credits=1000)
    sid = c.session(token)
    streamed = c.run(token, sid, "hello", streaming=True)
    plain = c.run(token, sid, "hello")
    assert "".join(streamed.parts("text", partial=True)) == streamed.texts()[-1]
    assert plain.parts("text", partial=True) == [] and len(plain.texts()) == 1


def test_final_text_is_in_the_session_language(serve: Callable[..., Client]) -> None:
    """'in the session's language (session.language "zh*" → Chinese texts)'; '点击导出…'."""
    c = serve(silent_close_rate=0.0)
    token = c.token(credits=1000)
    (text,) = c.run(token, c.session(token, language="zh-CN"), "加上背景音乐").texts()
    assert "点击导出" in text


def test_generation_emits_tool_calls_and_results_in_order(serve: Callable[..., Client]) -> None:
    """Generation: generate_video, add_bgm, add_title; each result carries its stateDelta."""
    c = serve()
    token = c.token(credits=1000)
    sid = c.session(token)
    s = c.run(token, sid, "generate a 15-second video")
    calls = [p["name"] for p in s.parts("functionCall")]
    results = [e for e in s.events() if any("functionResponse" in p for p in e["content"]["parts"])]
    assert calls == ["generate_video", "add_bgm", "add_title"]
    assert [r["actions"]["stateDelta"]["draft_version"] for r in results] == [1, 2, 3]
    assert c.version(token, sid) == 3
    assert [t["tt"] for t in results[-1]["actions"]["stateDelta"]["draft"]["t"]] == [0, 1, 7]


# -- heartbeats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        pytest.param("comment", {b": heartbeat"}, id="comment"),
        pytest.param("data", {b"data: "}, id="data"),
        pytest.param("mixed", {b": heartbeat", b"data: "}, id="mixed"),
    ],
)
def test_heartbeats_come_every_interval_while_the_turn_works(
    serve: Callable[..., Client], style: str, expected: set[bytes]
) -> None:
    """'Heartbeats every heartbeat_interval virtual seconds while work runs' (style setting)."""
    scale, interval = 600.0, 10.0
    c = serve(time_scale=scale, heartbeat_interval=interval, heartbeat_style=style)
    token = c.token(credits=1000)
    s = c.run(token, c.session(token), "generate a video")
    record = turn_records(c.live)[-1]
    # beats fall at arrival + k * interval, strictly before the last step (vstart + duration)
    worked = record["vstart"] + record["duration"] - record["varrival"]
    expected_count = math.ceil(worked / interval) - 1
    assert expected_count - 1 <= len(s.heartbeats) <= expected_count + 1
    assert record["frames"]["heartbeat"] == len(s.heartbeats)
    assert set(s.heartbeats) == expected
    if style == "mixed":
        assert s.heartbeats[:4] == [b": heartbeat", b"data: ", b": heartbeat", b"data: "]
    # the journal's heartbeat events, in virtual time: none before the first interval has passed,
    # in order (how virtual time maps to real time is the clock's own test, test_clock.py)
    beats = [e["t"] for e in record["events"] if e["kind"] == "heartbeat"]
    assert len(beats) == len(s.heartbeats)
    assert beats == sorted(beats) and all(t >= record["varrival"] + interval for t in beats)


# -- silent closes ---------------------------------------------------------------------------


def silent_pattern(c: Client, turns: int) -> tuple[str, list[bool]]:
    token = c.token(credits=0)
    sid = c.session(token)
    pattern = []
    for _ in range(turns):
        s = c.run(token, sid, "add a fade transition")
        assert s.parts("functionCall") == [
            {
                "id": s.parts("functionCall")[0]["id"],
                "name": "edit_draft",
                "args": s.parts("functionCall")[0]["args"],
            }
        ]
        pattern.append(not s.texts())
    return sid, pattern


def test_live_silent_closes_follow_the_seeded_decision_and_repeat_on_rerun(
    serve: Callable[..., Client],
) -> None:
    """'~30% of edit turns close with no text part (seeded)'; same seed → the same pattern."""
    settings = {"seed": 99, "silent_close_rate": 0.3, "cost_edit": 0}
    sid, first = silent_pattern(serve(**settings), 40)
    sid_again, again = silent_pattern(serve(**settings), 40)
    predicted = [decide_silent(99, sid, n, 0.3)[0] for n in range(1, 41)]
    assert sid == sid_again and first == again == predicted
    assert 2 <= sum(first) <= 24  # 40 turns at p=0.3: mean 12, sd 2.9


def test_state_changes_after_a_silent_close(serve: Callable[..., Client]) -> None:
    """'the state still changes' after a silent close."""
    c = serve(silent_close_rate=1.0)
    token = c.token(credits=1000)
    sid = c.session(token)
    s = c.run(token, sid, "add music")
    assert s.texts() == [] and len(s.parts("functionResponse")) == 1
    assert c.version(token, sid) == 1 and turn_records(c.live)[-1]["silent"] is True


def test_adk_style_silent_close_ends_with_an_empty_event(serve: Callable[..., Client]) -> None:
    """silent_close_style adk: an event with empty parts and errorCode MODEL_RETURNED_NO_CONTENT."""
    c = serve(silent_close_rate=1.0, silent_close_style="adk")
    token = c.token(credits=1000)
    last = c.run(token, c.session(token), "add music").events()[-1]
    assert last["content"]["parts"] == [] and last["errorCode"] == "MODEL_RETURNED_NO_CONTENT"


def test_non_edit_turns_never_close_silently(serve: Callable[..., Client]) -> None:
    """Silent closes are a property of edit turns ('about 30% of edit operations')."""
    c = serve(silent_close_rate=1.0)
    token = c.token(credits=1000)
    sid = c.session(token)
    assert c.run(token, sid, "hello").texts() and c.run(token, sid, "generate a video").texts()


# -- credits, disconnects, ordering ---------------------------------------------------------


def test_credits_are_frozen_during_a_turn_and_consumed_after(serve: Callable[..., Client]) -> None:
    """'freeze at turn start (cost by kind), consume on completion'."""
    c = serve(time_scale=0)
    token = c.token(credits=200)
    sid = c.session(token)
    end = time.monotonic() + STREAM_DEADLINE
    with c.http.stream("POST", "/run_sse", headers=c.auth(token), json=body(sid, "add music")) as r:
        assert r.status_code == 200
        assert c.balance(token) == {"available": 150, "frozen": 50, "total": 200}
        c.live.world.clock.advance(60)
        for _ in r.iter_raw():
            assert time.monotonic() < end
    wait_for(lambda: turn_records(c.live)[-1]["outcome"] == "completed")
    assert c.balance(token) == {"available": 150, "frozen": 0, "total": 150}


def test_client_disconnect_mid_turn_still_changes_state_and_charges(
    serve: Callable[..., Client],
) -> None:
    """'a turn runs to completion server-side when the client goes away'."""
    c = serve(time_scale=0)
    token = c.token(credits=200)
    sid = c.session(token)
    with c.http.stream("POST", "/run_sse", headers=c.auth(token), json=body(sid, "add music")) as r:
        assert r.status_code == 200
    wait_for(lambda: turn_records(c.live)[-1].get("stream_end") == "client_gone")
    c.live.world.clock.advance(60)
    wait_for(lambda: turn_records(c.live)[-1]["outcome"] == "completed")
    assert c.version(token, sid) == 1
    assert c.balance(token) == {"available": 150, "frozen": 0, "total": 150}


def test_resent_message_is_a_new_turn_and_pays_twice(serve: Callable[..., Client]) -> None:
    """'a re-sent message is a new turn (duplicate edit, double charge)' (edit_charge=turn)."""
    c = serve(silent_close_rate=0.0, edit_charge="turn")
    token = c.token(credits=200)
    sid = c.session(token)
    c.run(token, sid, "add a title")
    c.run(token, sid, "add a title")
    assert c.version(token, sid) == 2 and c.balance(token)["total"] == 100
    assert [t["number"] for t in turn_records(c.live)] == [1, 2]


def test_turns_of_one_session_run_one_at_a_time_in_arrival_order(
    serve: Callable[..., Client],
) -> None:
    """'Turns of one session run one at a time, in arrival order'."""
    c = serve(time_scale=600)
    token = c.token(credits=10_000)
    sid = c.session(token)
    results: dict[str, Stream] = {}

    def go(name: str, text: str) -> None:
        results[name] = c.run(token, sid, text)

    first = threading.Thread(target=go, args=("first", "generate a video"))
    first.start()
    wait_for(lambda: len(turn_records(c.live)) == 1)
    second = threading.Thread(target=go, args=("second", "add a title"))
    second.start()
    first.join(STREAM_DEADLINE)
    second.join(STREAM_DEADLINE)
    one, two = turn_records(c.live)
    assert two["queued"] is True and two["vstart"] >= one["vend"]
    assert results["second"].heartbeats, "a queued turn heartbeats while it waits"
    assert c.version(token, sid) == 4


# -- limits and failures --------------------------------------------------------------------


def test_stall_setting_heartbeats_until_the_cap_then_sends_an_error_frame(
    serve: Callable[..., Client],
) -> None:
    """'at the cap (900 virtual s) the stream ends with an error frame'; stall: heartbeats only."""
    c = serve(stall_turns=True, heartbeat_interval=30, time_scale=0)  # only advance moves time
    token = c.token(credits=200)
    sid = c.session(token)
    end = time.monotonic() + STREAM_DEADLINE
    raw = b""
    with c.http.stream("POST", "/run_sse", headers=c.auth(token), json=body(sid, "add music")) as r:
        chunks = r.iter_raw()
        for _ in range(29):  # heartbeats at 30, 60, ..., 870 s
            c.live.world.clock.advance(30)
            raw += next(chunks)
        c.live.world.clock.advance(29.9)  # 899.9 s: still running
        record = turn_records(c.live)[-1]
        assert record["outcome"] == "running" and record["frames"]["error"] == 0
        c.live.world.clock.advance(0.1)  # 900 s: the cap
        for chunk in chunks:
            raw += chunk
            assert time.monotonic() < end
    s = Stream(200, "", raw)
    assert len(s.heartbeats) == 29 and len(s.blocks) == 30
    (error,) = s.events()
    assert error["error_details"] == {"code": 504, "reason": "turn_cap", "limit_seconds": 900.0}
    assert record["outcome"] == "capped" and c.version(token, sid) == 0
    assert c.balance(token) == {"available": 200, "frozen": 0, "total": 200}


def test_turn_cap_cuts_a_turn_that_runs_too_long(serve: Callable[..., Client]) -> None:
    """'a 15-minute virtual cap per stream (settings.turn_cap)'."""
    c = serve(turn_cap=50)
    token = c.token(credits=200)
    s = c.run(token, c.session(token), "generate a video")
    assert s.events()[-1]["error_details"] == {
        "code": 504,
        "reason": "turn_cap",
        "limit_seconds": 50.0,
    }
    assert turn_records(c.live)[-1]["outcome"] == "capped" and c.balance(token)["frozen"] == 0


# -- the fault hook --------------------------------------------------------------------------


def test_override_error_ends_with_an_error_frame_and_releases_credits(
    serve_with: Callable[..., Client],
) -> None:
    """TurnOverrides.error: 'an error frame instead of the final text'; credits released."""
    c = serve_with(TurnOverrides(error="Agent crashed"))
    token = c.token(credits=200)
    s = c.run(token, c.session(token), "add music")
    assert s.texts() == [] and s.events()[-1] == {
        "error": "Agent crashed",
        "error_details": {"code": 500, "reason": "fault"},
    }
    assert c.balance(token) == {"available": 200, "frozen": 0, "total": 200}
    assert turn_records(c.live)[-1]["overrides"] == {"error": "Agent crashed"}


def test_override_truncate_after_cuts_the_next_frame_in_half(
    serve_with: Callable[..., Client],
) -> None:
    """truncate_after=N: 'after N frames send half of the next frame's bytes, then close'."""
    c = serve_with(TurnOverrides(truncate_after=1, silent=False))
    token = c.token(credits=200)
    sid = c.session(token)
    s = c.run(token, sid, "add music")
    data = [b for b in s.raw.split(b"\n\n") if b.startswith(b"data: {")]
    assert len(data) == 2 and not s.raw.endswith(b"\n\n")
    with pytest.raises(json.JSONDecodeError):
        json.loads(data[1][6:])
    record = turn_records(c.live)[-1]
    wait_for(lambda: record["outcome"] == "completed" and "stream_end" in record)
    assert record["truncated"] is True and c.version(token, sid) == 1


def test_override_stall_heartbeats_until_the_cap(serve_with: Callable[..., Client]) -> None:
    """TurnOverrides.stall: 'heartbeats only until the cap'."""
    c = serve_with(TurnOverrides(stall=True), heartbeat_interval=60)
    token = c.token(credits=200)
    s = c.run(token, c.session(token), "hello")
    assert [e.get("error_details", {}).get("reason") for e in s.events()] == ["turn_cap"]


def test_override_trailing_text_follows_the_final_text(serve_with: Callable[..., Client]) -> None:
    """TurnOverrides.trailing_text: one more text 'I encountered a temporary issue...'."""
    c = serve_with(TurnOverrides(trailing_text=True))
    token = c.token(credits=200)
    texts = c.run(token, c.session(token), "hello").texts()
    assert len(texts) == 2 and texts[-1].startswith("I encountered a temporary issue")


@pytest.mark.parametrize(
    ("silent", "has_text"),
    [pytest.param(True, False, id="force"), pytest.param(False, True, id="forbid")],
)
def test_override_silent_forces_or_forbids_a_silent_close(
    serve_with: Callable[..., Client], silent: bool, has_text: bool
) -> None:
    """TurnOverrides.silent: force or forbid the silent close."""
    c = serve_with(TurnOverrides(silent=silent), silent_close_rate=1.0 - float(silent))
    token = c.token(credits=200)
    assert bool(c.run(token, c.session(token), "add music").texts()) is has_text


def test_override_kind_forces_the_turn_kind(serve_with: Callable[..., Client]) -> None:
    """TurnOverrides.kind forces the kind (and its cost)."""
    c = serve_with(TurnOverrides(kind="generation"))
    token = c.token(credits=200)
    s = c.run(token, c.session(token), "hello")
    assert s.parts("functionCall")[0]["name"] == "generate_video"
    record = turn_records(c.live)[-1]
    assert (record["kind"], record["cost"], record["overrides"]) == (
        "generation",
        100,
        {"kind": "generation"},
    )


# -- the journal -----------------------------------------------------------------------------


def test_journal_records_the_turn(serve: Callable[..., Client]) -> None:
    """'record "turn": {kind, number, cost, duration, frames, silent, decisions, overrides}'."""
    c = serve(silent_close_rate=0.0, heartbeat_interval=5)
    token = c.token(credits=200)
    s = c.run(token, c.session(token), "add music", streaming=True)
    record = turn_records(c.live)[-1]
    assert {
        "kind",
        "number",
        "cost",
        "duration",
        "frames",
        "silent",
        "decisions",
        "overrides",
    } <= set(record)
    assert (record["kind"], record["number"], record["cost"], record["silent"]) == (
        "edit",
        1,
        50,
        False,
    )
    assert record["frames"] == {
        "text": len(s.texts()),
        "partial": len(s.parts("text", partial=True)),
        "tool_call": 1,
        "tool_result": 1,
        "heartbeat": len(s.heartbeats),
        "error": 0,
    }
    assert {"duration", "silent_draw", "bgm", "volume"} <= set(record["decisions"])
