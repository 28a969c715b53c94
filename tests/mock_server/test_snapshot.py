"""Snapshots: GET/PUT /_mock/state, and --state-file restarts that lose nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_mock.server import World
from nemo_mock.server.cli import build_parser, settings_from_args
from nemo_mock.server.serving import LiveServer
from nemo_mock.server.snapshot import FORMAT, dump_world, read_file, restore_world
from tests.conftest import ATTRIBUTION, Api, make_settings

TIMEOUT = httpx.Timeout(10.0)


def _h(token: str) -> dict[str, str]:
    return {**ATTRIBUTION, "Authorization": f"Bearer {token}"}


def _populate(api: Api) -> dict[str, Any]:
    """A token, a session with a draft, spent credits and a finished render."""
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    user = api.world.users[api.world.tokens[token].user_id]
    user.total -= 30
    draft = api.world.sessions[sid].draft
    r = api.http.post(
        "/api/render/proxy/lambda",
        headers=api.headers(token),
        json={"id": "render_1", "sessionId": sid, "draft": draft},
    )
    assert r.json()["code"] == 0
    api.advance(200)
    api.http.post("/_mock/faults", json={"match": {"path": "/never"}, "action": {"type": "drop"}})
    return {"token": token, "sid": sid, "draft": draft}


def _check_usable(base_url: str, facts: dict[str, Any]) -> None:
    """What a client would notice: the same token, session, draft, credits and render."""
    token = facts["token"]
    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as c:
        state = c.get(f"/api/state/nemo_agent/me/{facts['sid']}/latest", headers=_h(token)).json()
        assert state["code"] == 0 and state["data"]["state"]["draft"] == facts["draft"]
        balance = c.get("/api/credits/balance/simple", headers=_h(token)).json()["data"]
        assert balance == {"available": 70, "frozen": 0, "total": 70}
        job = c.get("/api/render/proxy/lambda/render_1", headers=_h(token)).json()["data"]
        assert job["status"] == "completed"
        media = c.get(job["output"]["url"])
        assert media.status_code == 200 and media.headers["content-type"] == "video/mp4"


def test_snapshot_round_trip_through_a_fresh_live_server(make_api: Callable[..., Api]) -> None:
    """GET /_mock/state from one emulator, PUT into a fresh one: everything is usable."""
    api = make_api()
    facts = _populate(api)
    snap = api.http.get("/_mock/state").json()["data"]
    with LiveServer(make_settings()) as live:
        with httpx.Client(base_url=live.url, timeout=TIMEOUT) as c:
            assert c.put("/_mock/state", json=snap).json()["code"] == 0
        _check_usable(live.url, facts)
        assert [r.applied for r in live.world.faults.rules()] == [0]


def test_snapshot_keeps_id_counters_and_clock(make_api: Callable[..., Api]) -> None:
    """Ids keep counting where they were (no collision) and the clock resumes."""
    api = make_api()
    _populate(api)
    fresh = World(make_settings())
    restore_world(fresh, dump_world(api.world))
    assert fresh.clock.now() == api.world.clock.now()
    assert fresh.ids.counts == api.world.ids.counts
    assert fresh.ids.hex("token") == api.world.ids.hex("token")


def test_snapshot_keeps_fault_counters(make_api: Callable[..., Api]) -> None:
    """Fault rules come back with their counters."""
    api = make_api()
    api.http.post("/_mock/faults", json={"times": 2, "action": {"type": "error", "code": 429}})
    api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "a"})
    fresh = World(make_settings())
    restore_world(fresh, dump_world(api.world))
    rule = fresh.faults.rules()[0]
    assert (rule.matched, rule.applied, rule.remaining) == (1, 1, 1)


@pytest.mark.parametrize(
    "body",
    [{"format": "other"}, {"format": FORMAT, "users": [{"nope": 1}]}],
    ids=["format", "entity"],
)
def test_bad_snapshot_answers_400(make_api: Callable[..., Api], body: dict[str, Any]) -> None:
    """PUT /_mock/state with something that is not a snapshot answers 400."""
    assert make_api().http.put("/_mock/state", json=body).json()["code"] == 400


@pytest.fixture
def state_file(tmp_path: Path) -> Iterator[Path]:
    """A state file path in a fresh directory."""
    yield tmp_path / "state" / "nemo.json"


def test_restart_with_state_file_loses_nothing(state_file: Path) -> None:
    """A server with --state-file saves on stop; a new one on the same file serves the same."""
    live = LiveServer(make_settings(state_file=str(state_file)))
    live.start()
    try:
        facts = _populate_live(live)
    finally:
        live.stop()
    assert read_file(state_file) is not None
    with LiveServer(make_settings(state_file=str(state_file))) as again:
        _check_usable(again.url, facts)


def _populate_live(live: LiveServer) -> dict[str, Any]:
    with httpx.Client(base_url=live.url, timeout=TIMEOUT) as c:
        r = c.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "c1"})
        token = r.json()["data"]["token"]
        sid = c.post(
            "/api/tasks/me/with-session/nemo_agent", headers=_h(token), json={"task_name": "p"}
        ).json()["data"]["session_id"]
        draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "clip"}}]}], "d": 10000}
        live.world.change(live.world.sessions[sid], draft=draft)
        live.world.users[live.world.tokens[token].user_id].total -= 30
        body = {"id": "render_1", "sessionId": sid, "draft": draft}
        assert c.post("/api/render/proxy/lambda", headers=_h(token), json=body).json()["code"] == 0
        c.post("/_mock/clock/advance", json={"seconds": 200})
    return {"token": token, "sid": sid, "draft": draft}


def test_state_file_is_saved_soon_after_a_change(state_file: Path) -> None:
    """Changes reach the file within the debounce (0.5 s real), before any shutdown."""
    with LiveServer(make_settings(state_file=str(state_file))) as live:
        with httpx.Client(base_url=live.url, timeout=TIMEOUT) as c:
            c.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "c1"})
        deadline = time.monotonic() + 5
        while not (state_file.exists() and json.loads(state_file.read_text())["tokens"]):
            assert time.monotonic() < deadline, "the state file was not written in time"
            time.sleep(0.05)


def test_a_polled_read_is_saved_too(state_file: Path) -> None:
    """GET state touches the session (idle expiry); the exchange layer schedules a save for it."""

    def saved(sid: str) -> Any:
        if not state_file.exists():
            return None
        sessions = json.loads(state_file.read_text())["sessions"]
        return next((x["last_active"] for x in sessions if x["id"] == sid), None)

    def wait_for(sid: str, value: float) -> None:
        deadline = time.monotonic() + 5
        while saved(sid) != value:
            assert time.monotonic() < deadline, f"last_active {value} was not saved in time"
            time.sleep(0.05)

    with (
        LiveServer(make_settings(state_file=str(state_file))) as live,
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as c,
    ):
        r = c.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "c1"})
        token = r.json()["data"]["token"]
        sid = c.post(
            "/api/tasks/me/with-session/nemo_agent", headers=_h(token), json={"task_name": "p"}
        ).json()["data"]["session_id"]
        wait_for(sid, live.world.sessions[sid].last_active)  # the creation is on disk
        live.world.clock.advance(3600)
        state = c.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=_h(token))
        assert state.json()["code"] == 0
        wait_for(sid, live.world.sessions[sid].last_active)  # and so is the read's touch


def test_state_file_is_written_atomically(state_file: Path) -> None:
    """Saves go through a temporary file and os.replace: no temporary file stays behind."""
    with (
        LiveServer(make_settings(state_file=str(state_file))) as live,
        httpx.Client(base_url=live.url, timeout=TIMEOUT) as c,
    ):
        for i in range(5):
            c.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": f"c{i}"})
    assert [p.name for p in state_file.parent.iterdir()] == [state_file.name]
    assert len(json.loads(state_file.read_text())["tokens"]) == 5


def test_serve_flags_include_state_file_and_scenario() -> None:
    """`nemo-mock serve --state-file F --scenario S` parses into settings and a scenario path."""
    args = build_parser().parse_args(["serve", "--state-file", "s.json", "--scenario", "x.yaml"])
    assert settings_from_args(args).state_file == "s.json" and args.scenario == "x.yaml"
