"""Fault rules observed from a real client socket (live emulator + httpx, every wait bounded)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from nemo_mock.server.serving import LiveServer

ATTRIBUTION = {
    "X-Skill-Source": "video-create",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}
TIMEOUT = httpx.Timeout(10.0)


class Wire:
    """A client of one live emulator: control plane and API over a real socket."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.http = httpx.Client(base_url=live.url, timeout=TIMEOUT)
        self._clients = 0

    def close(self) -> None:
        self.http.close()

    def fault(self, **rule: Any) -> dict[str, Any]:
        r = self.http.post("/_mock/faults", json=rule)
        assert r.json()["code"] == 0, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        h = dict(ATTRIBUTION)
        if token:
            h["Authorization"] = f"Bearer {token}"
        h.update(extra)
        return h

    def mint(self) -> httpx.Response:
        self._clients += 1
        return self.http.post(
            "/api/auth/anonymous-token",
            headers=self.headers(**{"X-Client-Id": f"client-{self._clients}"}),
        )

    def token(self) -> str:
        r = self.mint()
        assert r.json()["code"] == 0, r.text
        token: str = r.json()["data"]["token"]
        return token

    def session(self, token: str) -> str:
        r = self.http.post(
            "/api/tasks/me/with-session/nemo_agent",
            headers=self.headers(token),
            json={"task_name": "p"},
        )
        assert r.json()["code"] == 0, r.text
        sid: str = r.json()["data"]["session_id"]
        return sid

    def with_clip(self, session_id: str, seconds: int = 10) -> dict[str, Any]:
        draft = {
            "t": [{"tt": 0, "sg": [{"st": 0, "d": seconds * 1000, "m": {"name": "clip"}}]}],
            "d": seconds * 1000,
        }
        self.live.world.change(self.live.world.sessions[session_id], draft=draft)
        return draft

    def submit(self, token: str, session_id: str, render_id: str) -> httpx.Response:
        draft = self.live.world.sessions[session_id].draft
        return self.http.post(
            "/api/render/proxy/lambda",
            headers=self.headers(token),
            json={"id": render_id, "sessionId": session_id, "draft": draft},
        )

    def poll(self, token: str, render_id: str) -> dict[str, Any]:
        r = self.http.get(f"/api/render/proxy/lambda/{render_id}", headers=self.headers(token))
        data: dict[str, Any] = r.json()["data"]
        return data

    def run_sse(self, token: str, session_id: str, text: str, deadline: float = 15.0) -> bytes:
        """The raw bytes of one /run_sse stream (fails instead of hanging past `deadline`)."""
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": text}]},
        }
        raw = b""
        end = time.monotonic() + deadline
        with self.http.stream("POST", "/run_sse", json=body, headers=self.headers(token)) as r:
            assert r.headers["content-type"].startswith("text/event-stream"), r.read()
            for chunk in r.iter_raw():
                raw += chunk
                assert time.monotonic() < end, "stream did not end before the deadline"
        return raw


def data_frames(raw: bytes) -> list[Any]:
    """The JSON of every complete, non-empty `data:` frame."""
    out = []
    for block in raw.decode().split("\n\n")[:-1]:
        for line in block.split("\n"):
            if line.startswith("data:") and line[5:].strip():
                out.append(json.loads(line[5:]))
    return out


def texts(frames: list[Any]) -> list[str]:
    """Text parts of final (non-partial) events."""
    return [
        p["text"]
        for f in frames
        if isinstance(f, dict) and not f.get("partial")
        for p in (f.get("content") or {}).get("parts", [])
        if "text" in p
    ]


FAST = 3600.0  # virtual seconds per real second: a 15-minute turn cap is 0.25 s


@pytest.fixture
def wire(live_server: Callable[..., LiveServer]) -> Iterator[Callable[..., Wire]]:
    """Factory: a live emulator (fast clock unless told) and a client of it."""
    made: list[Wire] = []

    def make(**overrides: Any) -> Wire:
        overrides.setdefault("time_scale", FAST)
        w = Wire(live_server(**overrides))
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def _last(w: Wire, path: str, deadline: float = 5.0) -> dict[str, Any]:
    """The latest journal entry for `path`, once complete (the server closes it after sending)."""
    end = time.monotonic() + deadline
    while True:
        entries = w.live.world.journal.query({"path": path})
        if entries and "vtime_end" in entries[-1]:
            return entries[-1]
        assert time.monotonic() < end, f"no complete journal entry for {path}"
        time.sleep(0.01)


# -- generic actions ------------------------------------------------------------------------
def test_error_action_answers_the_code_in_the_envelope(wire: Callable[..., Wire]) -> None:
    """An `error` rule answers that catalogue code; app codes ride on HTTP 200 in body mode."""
    w = wire()
    token = w.token()
    w.fault(
        match={"method": "GET", "path": "/api/credits/*"}, action={"type": "error", "code": 1001}
    )
    r = w.http.get("/api/credits/balance/simple", headers=w.headers(token))
    assert (r.status_code, r.json()["code"]) == (200, 1001)


def test_error_action_follows_the_http_error_status_mode(wire: Callable[..., Wire]) -> None:
    """Under error_status=http an injected 2001 comes with HTTP 402."""
    w = wire(error_status="http")
    token = w.token()
    w.fault(match={"path": "/api/credits/balance/simple"}, action={"type": "error", "code": 2001})
    r = w.http.get("/api/credits/balance/simple", headers=w.headers(token))
    assert (r.status_code, r.json()["code"]) == (402, 2001)


def test_error_action_status_overrides_the_mode(wire: Callable[..., Wire]) -> None:
    """`status` in an error action wins over the mode's mapping."""
    w = wire()
    w.fault(
        match={"path": "/api/auth/anonymous-token"},
        action={"type": "error", "code": 500, "status": 503},
    )
    r = w.mint()
    assert (r.status_code, r.json()["code"]) == (503, 500)


def test_status_action_answers_that_status_and_body(wire: Callable[..., Wire]) -> None:
    """A `status` rule answers the HTTP status with the given body and headers."""
    w = wire()
    w.fault(
        match={"path": "/api/auth/anonymous-token"},
        action={
            "type": "status",
            "status": 502,
            "body": "Bad Gateway",
            "headers": {"Retry-After": "7"},
        },
    )
    r = w.mint()
    assert (r.status_code, r.text, r.headers["retry-after"]) == (502, "Bad Gateway", "7")


def test_drop_is_a_transport_error_on_the_client(wire: Callable[..., Wire]) -> None:
    """A `drop` rule closes the socket without an answer: the client gets a transport error."""
    w = wire()
    w.fault(match={"path": "/api/auth/anonymous-token"}, times=1, action={"type": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        w.mint()
    assert w.mint().json()["code"] == 0  # spent after one: the next request is answered


def test_drop_is_journalled_without_a_status(wire: Callable[..., Wire]) -> None:
    """The journal marks a dropped exchange: no status, `dropped`, and the fault."""
    w = wire()
    w.fault(match={"path": "/api/auth/anonymous-token"}, times=1, action={"type": "drop"})
    with pytest.raises(httpx.TransportError):
        w.mint()
    e = _last(w, "/api/auth/anonymous-token")
    assert (e["status"], e["dropped"], e["faults"][0]["type"]) == (None, True, "drop")


def test_delay_shows_in_virtual_time(wire: Callable[..., Wire]) -> None:
    """A `delay` rule sleeps that many virtual seconds before the handler runs."""
    w = wire()
    w.fault(match={"path": "/api/auth/anonymous-token"}, action={"type": "delay", "seconds": 120})
    assert w.mint().json()["code"] == 0
    e = _last(w, "/api/auth/anonymous-token")
    assert e["vtime_end"] - e["vtime"] >= 120


def test_malformed_json_is_a_200_that_does_not_parse(wire: Callable[..., Wire]) -> None:
    """A `malformed_json` rule answers 200 with a truncated JSON body."""
    w = wire()
    w.fault(match={"path": "/api/auth/anonymous-token"}, action={"type": "malformed_json"})
    r = w.mint()
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert r.content.startswith(b'{"code":0')


def test_slow_body_arrives_in_chunks_spaced_in_virtual_time(wire: Callable[..., Wire]) -> None:
    """A `slow_body` rule trickles the same body in small chunks, gaps on the virtual clock."""
    w = wire()
    w.fault(
        match={"path": "/api/auth/anonymous-token"},
        action={"type": "slow_body", "chunk_bytes": 20, "gap_seconds": 5},
    )
    chunks: list[bytes] = []
    with w.http.stream(
        "POST", "/api/auth/anonymous-token", headers=w.headers(**{"X-Client-Id": "slow"})
    ) as r:
        chunks.extend(r.iter_raw())
    body = b"".join(chunks)
    assert json.loads(body)["code"] == 0
    assert len(chunks) > 1
    e = _last(w, "/api/auth/anonymous-token")
    assert e["vtime_end"] - e["vtime"] >= 5 * (len(body) // 20 - 1)


# -- scope ----------------------------------------------------------------------------------
def test_times_spends_the_rule(wire: Callable[..., Wire]) -> None:
    """`times: 2` applies to the first two matching requests only."""
    w = wire()
    rule = w.fault(match={"path": "/api/auth/*"}, times=2, action={"type": "error", "code": 429})
    codes = [w.mint().json()["code"] for _ in range(3)]
    assert codes == [429, 429, 0]
    got = w.http.get(f"/_mock/faults/{rule['id']}").json()["data"]
    assert (got["matched"], got["applied"], got["remaining"], got["spent"]) == (3, 2, 0, True)


def test_after_lets_the_first_requests_through(wire: Callable[..., Wire]) -> None:
    """`after: 2` skips the first two matching requests."""
    w = wire()
    w.fault(match={"path": "/api/auth/*"}, after=2, times=1, action={"type": "error", "code": 429})
    assert [w.mint().json()["code"] for _ in range(4)] == [0, 0, 429, 0]


def test_probability_draws_from_the_seed(wire: Callable[..., Wire]) -> None:
    """`probability` decisions come from the seeded RNG: the same seed gives the same pattern."""
    patterns = []
    for _ in range(2):
        w = wire(seed=99)
        w.fault(
            match={"path": "/api/auth/*"}, probability=0.5, action={"type": "error", "code": 429}
        )
        patterns.append([w.mint().json()["code"] for _ in range(16)])
    assert patterns[0] == patterns[1]
    assert 0 < patterns[0].count(429) < 16


def test_header_match_selects_by_skill_source(wire: Callable[..., Wire]) -> None:
    """A rule with a header match only touches requests carrying that header value."""
    w = wire()
    token = w.token()
    w.fault(
        match={
            "path": "/api/credits/*",
            "header": {"name": "X-Skill-Source", "value": "video-create"},
        },
        action={"type": "error", "code": 1001},
    )
    hit = w.http.get("/api/credits/balance/simple", headers=w.headers(token))
    other = w.http.get(
        "/api/credits/balance/simple", headers=w.headers(token, **{"X-Skill-Source": "other"})
    )
    assert (hit.json()["code"], other.json()["code"]) == (1001, 0)


def test_path_regex_matches(wire: Callable[..., Wire]) -> None:
    """`path_regex` selects paths by regular expression."""
    w = wire()
    w.fault(match={"path_regex": r"^/api/auth/anon"}, action={"type": "error", "code": 429})
    assert w.mint().json()["code"] == 429


def test_applied_fault_is_written_into_the_journal_entry(wire: Callable[..., Wire]) -> None:
    """Every applied fault appears in the journal entry it touched."""
    w = wire()
    rule = w.fault(match={"path": "/api/auth/*"}, action={"type": "error", "code": 429})
    w.mint()
    faults = _last(w, "/api/auth/anonymous-token")["faults"]
    assert faults == [{"rule": rule["id"], "n": 1, "type": "error", "code": 429}]


def test_control_plane_is_never_faulted(wire: Callable[..., Wire]) -> None:
    """A rule matching everything leaves /_mock alone."""
    w = wire()
    w.fault(action={"type": "error", "code": 500})
    assert w.http.get("/_mock/health").json()["code"] == 0
    assert w.mint().json()["code"] == 500


def test_delay_then_error_both_apply(wire: Callable[..., Wire]) -> None:
    """Rules apply in order: a delay, then an error that answers in place of the handler."""
    w = wire()
    w.fault(match={"path": "/api/auth/*"}, action={"type": "delay", "seconds": 60})
    w.fault(match={"path": "/api/auth/*"}, action={"type": "error", "code": 429})
    assert w.mint().json()["code"] == 429
    e = _last(w, "/api/auth/anonymous-token")
    assert [f["type"] for f in e["faults"]] == ["delay", "error"]
    assert e["vtime_end"] - e["vtime"] >= 60


# -- renders ----------------------------------------------------------------------------------
def _render_setup(w: Wire) -> tuple[str, str]:
    token = w.token()
    sid = w.session(token)
    w.with_clip(sid)
    return token, sid


def test_render_fail_on_submit_is_seen_in_polling(wire: Callable[..., Wire]) -> None:
    """A `render_fail` rule on the submit makes that job end `failed`; the retry completes."""
    w = wire(time_scale=0)
    token, sid = _render_setup(w)
    w.fault(
        match={"method": "POST", "path": "/api/render/proxy/lambda"},
        times=1,
        action={"type": "render_fail"},
    )
    assert w.submit(token, sid, "render_1").json()["code"] == 0
    assert w.submit(token, sid, "render_2").json()["code"] == 0
    w.live.world.clock.advance(200)
    assert (w.poll(token, "render_1")["status"], w.poll(token, "render_2")["status"]) == (
        "failed",
        "completed",
    )


def test_render_stall_keeps_the_job_processing(wire: Callable[..., Wire]) -> None:
    """A `render_stall` rule on a poll keeps that job `processing` forever."""
    w = wire(time_scale=0)
    token, sid = _render_setup(w)
    w.submit(token, sid, "render_9")
    w.fault(
        match={"method": "GET", "path": "/api/render/proxy/lambda/*"},
        times=1,
        action={"type": "render_stall"},
    )
    w.poll(token, "render_9")
    w.live.world.clock.advance(3600)
    view = w.poll(token, "render_9")
    assert (view["status"], view["output"]) == ("processing", None)
    assert _last(w, "/api/render/proxy/lambda/render_9")["status"] == 200


def test_render_fault_on_a_finished_render_changes_nothing(wire: Callable[..., Wire]) -> None:
    """A completed render never turns into a failed one; the journal says why."""
    w = wire(time_scale=0)
    token, sid = _render_setup(w)
    w.submit(token, sid, "render_5")
    w.live.world.clock.advance(200)
    w.fault(match={"path": "/api/render/proxy/lambda/*"}, action={"type": "render_fail"})
    assert w.poll(token, "render_5")["status"] == "completed"
    effect = _last(w, "/api/render/proxy/lambda/render_5")["faults"][0]["effect"]
    assert effect == "none: render already completed"


# -- /run_sse -----------------------------------------------------------------------------------
SSE = {"method": "POST", "path": "/run_sse"}
EDIT = "add background music"
ASK = "what can you do?"


def _sse_setup(w: Wire) -> tuple[str, str]:
    token = w.token()
    sid = w.session(token)
    w.with_clip(sid)
    return token, sid


def test_sse_silent_close_ends_without_text(wire: Callable[..., Wire]) -> None:
    """`sse_silent_close`: the stream closes with no text part, and the state still changes."""
    w = wire(silent_close_rate=0.0)
    token, sid = _sse_setup(w)
    version = w.live.world.sessions[sid].version
    w.fault(match=SSE, times=1, action={"type": "sse_silent_close"})
    frames = data_frames(w.run_sse(token, sid, EDIT))
    assert frames and texts(frames) == []
    assert w.live.world.sessions[sid].version > version
    assert texts(data_frames(w.run_sse(token, sid, ASK)))  # spent: the next turn speaks


def test_sse_truncate_ends_mid_frame(wire: Callable[..., Wire]) -> None:
    """`sse_truncate`: after N data frames the stream ends inside a frame."""
    w = wire()
    token, sid = _sse_setup(w)
    w.fault(match=SSE, action={"type": "sse_truncate", "after_frames": 1})
    raw = w.run_sse(token, sid, EDIT)
    assert not raw.endswith(b"\n\n")
    tail = raw.decode().split("\n\n")[-1]
    assert tail.startswith("data: {")
    with pytest.raises(json.JSONDecodeError):
        json.loads(tail[5:])
    assert len(data_frames(raw)) == 1


def test_sse_error_frame(wire: Callable[..., Wire]) -> None:
    """`sse_error`: the stream ends with an ADK error frame carrying the message."""
    w = wire()
    token, sid = _sse_setup(w)
    w.fault(match=SSE, action={"type": "sse_error", "message": "quota exceeded"})
    frames = data_frames(w.run_sse(token, sid, ASK))
    assert frames[-1]["error"] == "quota exceeded"


def test_sse_stall_sends_only_heartbeats_until_the_cap(wire: Callable[..., Wire]) -> None:
    """`sse_stall`: nothing but heartbeats until the 15-minute cap, then the cap error."""
    w = wire(heartbeat_style="comment")
    token, sid = _sse_setup(w)
    w.fault(match=SSE, action={"type": "sse_stall"})
    raw = w.run_sse(token, sid, ASK)
    frames = data_frames(raw)
    assert raw.count(b":") and texts(frames) == []
    assert frames[-1]["error_details"]["reason"] == "turn_cap"
    e = _last(w, "/run_sse")
    assert e["vtime_end"] - e["vtime"] >= w.live.world.settings.turn_cap


def test_sse_trailing_text_follows_the_answer(wire: Callable[..., Wire]) -> None:
    """`sse_trailing_text`: a normal answer, then "I encountered a temporary issue"."""
    w = wire()
    token, sid = _sse_setup(w)
    w.fault(match=SSE, action={"type": "sse_trailing_text"})
    said = texts(data_frames(w.run_sse(token, sid, ASK)))
    assert len(said) >= 2 and "temporary issue" in said[-1]


def test_sse_override_lands_in_scope_state_and_journal(wire: Callable[..., Wire]) -> None:
    """The turn engine receives the overrides: the turn record shows them."""
    w = wire()
    token, sid = _sse_setup(w)
    w.fault(match=SSE, action={"type": "sse_turn", "kind": "text", "trailing_text": True})
    w.run_sse(token, sid, EDIT)
    e = _last(w, "/run_sse")
    assert e["faults"][0]["type"] == "sse_turn"
    assert e["turn"]["kind"] == "text"
    assert e["turn"]["overrides"] == {"kind": "text", "trailing_text": True}


class _Untouchable(list[tuple[bytes, bytes]]):
    """Request headers that fail the test if anything reads them."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the headers were decoded")


def test_rules_on_method_and_path_never_decode_the_headers() -> None:
    """With rules installed every API request is checked; a rule that names no header must not
    cost the request a decoding of all of them."""
    from nemo_mock.server.fault_actions import pick
    from nemo_mock.server.settings import Settings
    from nemo_mock.server.world import World

    world = World(Settings())
    world.faults.add(
        {"match": {"method": "POST", "path": "/api/render/*"}, "action": {"type": "drop"}}
    )
    world.faults.add({"match": {"path": "/api/credits/*"}, "action": {"type": "drop"}})
    scope = {"method": "GET", "path": "/api/state/x", "headers": _Untouchable([(b"a", b"b")])}
    assert pick(world, scope) == ([], {})


def test_scope_headers_read_by_lower_case_name_the_last_value_winning() -> None:
    """A rule's header matcher sees each name lower-cased, a repeated header's last value."""
    from nemo_mock.server.fault_actions import ScopeHeaders

    h = ScopeHeaders(
        [(b"X-Skill-Source", b"one"), (b"accept", b"*/*"), (b"x-skill-source", b"two")]
    )
    assert h["x-skill-source"] == "two" and h.get("accept") == "*/*" and "host" not in h
    assert sorted(h) == ["accept", "x-skill-source"] and len(h) == 2
