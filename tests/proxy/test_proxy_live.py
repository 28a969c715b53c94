"""The proxy between a live client and a live upstream: honest traffic passes clean, each broken
server of the contract suite is caught by the rule aimed at it, and streams are not buffered."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from broken.new import done_frame
from broken.original import (
    crash_without_language,
    envelope_code_as_string,
    foreign_session_readable,
    heic_wrong_code,
    no_heartbeats,
    render_goes_backwards,
    token_never_expires,
)
from conftest import Pair, settings

from nemo_mock.client import Agent, Config
from nemo_mock.proxy import Proxy
from nemo_mock.proxy._rules import MUST, SHOULD
from nemo_mock.server.serving import LiveServer

pytestmark = pytest.mark.live
SCALE = 600.0
EDIT = "add lo-fi background music at 35% volume"


def _agent(pair: Pair, tmp_path: Path) -> Agent:
    config = Config(
        api_url=pair.proxy.url,
        web_url=pair.proxy.url,
        state_dir=tmp_path / "state",
        time_scale=pair.live.settings.time_scale,
        download_dir=tmp_path / "downloads",
    )
    return Agent(config)


@pytest.mark.parametrize("mode", ["body", "http"])
def test_reference_client_through_proxy_has_no_violations(
    proxied: Callable[..., Pair], tmp_path: Path, mode: str
) -> None:
    """A client run through the proxy in front of the emulator reports zero violations."""
    # heartbeats every 1 s real (600 virtual at x600): spacing is judged, with room for a
    # loaded machine's hiccups (a gap only counts past 1.75 s)
    pair = proxied(error_status=mode, starter_credits=1000, heartbeat_interval=600.0)
    with _agent(pair, tmp_path) as agent:
        for words in ("generate a 10-second clip of a city timelapse", EDIT, "credits", "export"):
            assert agent.handle(words).exit_code == 0
        upload = tmp_path / "clip.mp4"
        upload.write_bytes(b"\x00\x00\x00\x18ftypmp42 clip bytes")
        assert agent.handle(f"upload {upload}").exit_code == 0
    paths = {ex.path for ex in pair.proxy.exchanges}
    assert "/run_sse" in paths and "/api/render/proxy/lambda" in paths
    assert any(ex.path.startswith("/api/upload-video") for ex in pair.proxy.exchanges)
    assert pair.proxy.violations == []


def test_heartbeat_reaches_client_before_the_turn_ends(proxied: Callable[..., Pair]) -> None:
    """Streams pass through unbuffered: a heartbeat arrives while the upstream turn still runs."""
    pair = proxied(time_scale=10.0, heartbeat_interval=2.0, silent_close_rate=0.0)
    token = pair.token()
    sid = pair.session(token)
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"parts": [{"text": EDIT}]},
    }
    running_at_heartbeat = None
    deadline = time.monotonic() + 30
    with pair.http.stream("POST", "/run_sse", headers=pair.headers(token), json=body) as r:
        for line in r.iter_lines():
            assert time.monotonic() < deadline, "stream did not end in time"
            if line.startswith(":") or line == "data:":
                entry = pair.live.world.journal.query({"path": "/run_sse"})[0]
                running_at_heartbeat = "vtime_end" not in entry
                break
    assert running_at_heartbeat is True


def _mint(pair: Pair) -> None:
    pair.token()


def _expired_token_used(pair: Pair) -> None:
    token = pair.token()
    pair.live.world.clock.advance(8 * 86400)  # past the 7 days, behind the proxy's back
    pair.http.get("/api/credits/balance/simple", headers=pair.headers(token))


def _render_polls(pair: Pair) -> None:
    token = pair.token()
    sid = pair.session(token)
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 10_000, "m": {"name": "clip"}}]}], "d": 10_000}
    pair.live.world.change(pair.live.world.sessions[sid], draft=draft)
    submit = {
        "id": "render_1",
        "sessionId": sid,
        "draft": draft,
        "output": {"format": "mp4", "quality": "high"},
    }
    pair.http.post("/api/render/proxy/lambda", headers=pair.headers(token), json=submit)
    for _ in range(4):
        pair.live.world.clock.advance(20)
        pair.http.get("/api/render/proxy/lambda/render_1", headers=pair.headers(token))


def _foreign_session(pair: Pair) -> None:
    sid = pair.session(pair.token())
    other = pair.token()
    pair.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=pair.headers(other))


def _heic(pair: Pair) -> None:
    token = pair.token()
    sid = pair.session(token)
    pair.http.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=pair.headers(token),
        files={"files": ("photo.heic", b"heic bytes", "image/heic")},
    )


def _no_language(pair: Pair) -> None:
    token = pair.token()
    pair.http.post(
        "/api/tasks/me/with-session/nemo_agent",
        headers=pair.headers(token),
        json={"task_name": "p"},
    )


def _edit_turn(pair: Pair) -> None:
    token = pair.token()
    sid = pair.session(token)
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"parts": [{"text": EDIT}]},
    }
    with pair.http.stream("POST", "/run_sse", headers=pair.headers(token), json=body) as r:
        r.read()


# broken server -> (what provokes it, settings applied after its own, rule that catches it, level)
BROKEN_TABLE: dict[str, tuple[Any, Callable[[Pair], None], dict[str, Any], str, str]] = {
    "envelope_code_as_string": (envelope_code_as_string, _mint, {}, "envelope.json", MUST),
    "done_frame": (
        done_frame,
        _edit_turn,
        {"time_scale": 600.0, "heartbeat_interval": 300.0, "silent_close_rate": 0.0},
        "sse.data_json",
        MUST,
    ),
    "render_goes_backwards": (
        render_goes_backwards,
        _render_polls,
        {},
        "render.status_order",
        MUST,
    ),
    "foreign_session_readable": (
        foreign_session_readable,
        _foreign_session,
        {},
        "session.owner",
        SHOULD,
    ),
    "heic_wrong_code": (heic_wrong_code, _heic, {}, "upload.unsupported", MUST),
    "crash_without_language": (crash_without_language, _no_language, {}, "envelope.json", MUST),
    "token_never_expires": (token_never_expires, _expired_token_used, {}, "token.expiry", MUST),
    "no_heartbeats": (
        no_heartbeats,
        _edit_turn,
        # heartbeats every 0.6 s real (a gap counts past 1.15 s); an edit is 2-6 s real
        {"time_scale": 5.0, "heartbeat_interval": 3.0, "silent_close_rate": 0.0},
        "sse.heartbeat_spacing",
        SHOULD,
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN_TABLE))
def test_each_broken_server_is_caught_by_its_rule(proxied: Callable[..., Pair], name: str) -> None:
    """In front of each broken server the proxy reports the violation aimed at its breakage."""
    build, provoke, configure, rule, level = BROKEN_TABLE[name]
    pair = proxied(build=build, configure=configure, time_scale=0.0)
    provoke(pair)
    found = [v for v in pair.proxy.violations if v.rule == rule]
    assert found, [v.line() for v in pair.proxy.violations]
    assert found[0].level == level


@pytest.mark.parametrize("name", sorted(BROKEN_TABLE))
def test_the_same_traffic_against_the_emulator_is_clean(
    proxied: Callable[..., Pair], name: str
) -> None:
    """Fairness: what provokes each broken server raises nothing in front of the emulator."""
    _build, provoke, configure, _rule, _level = BROKEN_TABLE[name]
    pair = proxied(configure=configure, time_scale=0.0)
    provoke(pair)
    assert [v.line() for v in pair.proxy.violations] == []


def test_unreachable_upstream_answers_502_in_an_envelope(tmp_path: Path) -> None:
    """An upstream that is down gives the client a 502 envelope, never a hang or a traceback."""
    with Proxy("http://127.0.0.1:9", heartbeat_seconds=1.0) as proxy:
        r = httpx.get(proxy.url + "/api/credits/balance/simple", timeout=20)
    assert r.status_code == 502
    assert r.json()["code"] == 502 and "unreachable" in r.json()["message"]


def test_a_guarded_emulator_is_recognised_with_its_admin_token() -> None:
    """The proxy reads a guarded emulator's settings only with --admin-token."""
    with LiveServer(settings(admin_token="s3cret", seed=5)) as live:
        blind = Proxy(live.url)
        seeing = Proxy(live.url, admin_token="s3cret")
    assert blind.emulator is None
    assert seeing.emulator is not None and seeing.emulator["seed"] == 5
