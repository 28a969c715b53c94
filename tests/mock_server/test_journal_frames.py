"""The journal keeps what the HTML report draws: each SSE frame's kind and virtual time, how the
stream ended, the state version a poll answered and the render status a poll answered."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nemo_mock.server.serving import LiveServer
from tests.conftest import ATTRIBUTION, Api

FAST = 3000.0


def _turn(server: LiveServer, text: str) -> tuple[dict[str, Any], dict[str, str], str]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        token = http.post(
            "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "jf"}
        ).json()["data"]["token"]
        auth = {**ATTRIBUTION, "Authorization": f"Bearer {token}"}
        sid = http.post(
            "/api/tasks/me/with-session/nemo_agent", headers=auth, json={"task_name": "p"}
        ).json()["data"]["session_id"]
        body = {
            "app_name": "nemo_agent",
            "session_id": sid,
            "new_message": {"parts": [{"text": text}]},
        }
        with http.stream("POST", "/run_sse", headers=auth, json=body) as r:
            for _ in r.iter_bytes():
                pass
    entry = next(e for e in server.world.journal if e["path"] == "/run_sse")
    deadline = time.monotonic() + 5.0  # the server notes the end just after the last byte went out
    while "vstream_end" not in entry["turn"] and time.monotonic() < deadline:
        time.sleep(0.01)
    return entry, auth, sid


@pytest.mark.live
def test_turn_events_list_every_frame_by_kind_in_virtual_time(
    live_server: Callable[..., LiveServer],
):
    """Control OpenAPI JournalEntry.turn.events: one event per frame, counted as in `frames`."""
    server = live_server(time_scale=FAST)
    entry, _, _ = _turn(server, "generate a 10-second clip of a city timelapse")
    turn = entry["turn"]
    events = turn["events"]
    by_kind: dict[str, int] = {}
    for ev in events:
        by_kind[ev["kind"]] = by_kind.get(ev["kind"], 0) + 1
    assert by_kind == {k: n for k, n in turn["frames"].items() if n}
    times = [ev["t"] for ev in events]
    assert times == sorted(times)
    assert entry["vtime"] <= times[0] and times[-1] <= turn["vstream_end"]
    versions = [ev["version"] for ev in events if ev["kind"] == "tool_result"]
    assert versions == sorted(versions) and versions[0] >= 1
    assert turn["stream_end"] == "closed"


@pytest.mark.live
def test_silent_close_is_journalled_with_its_frames(live_server: Callable[..., LiveServer]):
    """Seeds §SSE: an edit may close without text; the journal says so (silent, no text event)."""
    server = live_server(time_scale=FAST, silent_close_rate=1.0)
    entry, _, _ = _turn(server, "add background music")
    turn = entry["turn"]
    assert turn["silent"] is True
    assert not [ev for ev in turn["events"] if ev["kind"] == "text"]
    assert [ev for ev in turn["events"] if ev["kind"] == "tool_result"]


def test_state_poll_records_the_version_it_answered(make_api: Callable[..., Api]):
    """Control OpenAPI JournalEntry.state_version: the version a state read answered."""
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    version = api.world.sessions[sid].version
    api.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=api.headers(token))
    api.world.faults.add({"match": {"path": "/nothing"}, "action": {"type": "drop"}})
    api.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=api.headers(token))
    polls = [e for e in api.world.journal if e["path"].endswith("/latest")]
    assert [e["state_version"] for e in polls] == [version, version]  # fast path, then route


def test_render_poll_records_the_status_it_answered(make_api: Callable[..., Api]):
    """Control OpenAPI JournalEntry.render_status: the status a render poll answered."""
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    draft = api.world.sessions[sid].draft
    r = api.http.post(
        "/api/render/proxy/lambda",
        headers=api.headers(token),
        json={"id": "render_1", "sessionId": sid, "draft": draft},
    )
    assert r.json()["code"] == 0, r.text
    api.http.get("/api/render/proxy/lambda/render_1", headers=api.headers(token))
    api.advance(600)
    api.world.faults.add({"match": {"path": "/nothing"}, "action": {"type": "drop"}})
    api.http.get("/api/render/proxy/lambda/render_1", headers=api.headers(token))
    polls = [e for e in api.world.journal if e["path"] == "/api/render/proxy/lambda/render_1"]
    assert [e["render_status"] for e in polls] == ["pending", "completed"]
