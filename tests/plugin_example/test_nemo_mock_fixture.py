"""How a client project uses the emulator after `pip install nemo-mock`: only the `nemo_mock`
fixture (the pytest plugin is registered by the package's entry point), httpx, and plain asserts.
"""

from __future__ import annotations

import httpx
import pytest

HEADERS = {
    "X-Skill-Source": "video-create",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}


def _client(nemo_mock) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(base_url=nemo_mock.url, headers=HEADERS, timeout=10.0)


def _start(http: httpx.Client) -> tuple[str, str]:
    token = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "me"}).json()["data"][
        "token"
    ]
    http.headers["Authorization"] = f"Bearer {token}"
    sid = http.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "demo"}).json()[
        "data"
    ]["session_id"]
    return token, sid


def _say(http: httpx.Client, sid: str, text: str) -> str:
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"parts": [{"text": text}]},
    }
    with http.stream("POST", "/run_sse", json=body) as r:
        return "".join(r.iter_text())


def test_the_next_turn_closes_silently(nemo_mock) -> None:  # type: ignore[no-untyped-def]
    """Script "the next /run_sse closes silently", then check the client asked only once."""
    nemo_mock.faults.add(
        match={"method": "POST", "path": "/run_sse"}, times=1, action={"type": "sse_silent_close"}
    )
    with _client(nemo_mock) as http:
        _, sid = _start(http)
        stream = _say(http, sid, "add background music")
    assert '"text"' not in stream
    nemo_mock.journal.expect().request("POST", "/run_sse").count(1)


def test_the_token_expires_now(nemo_mock) -> None:  # type: ignore[no-untyped-def]
    """Script "the token expires now": the next call answers 1001."""
    with _client(nemo_mock) as http:
        token, _ = _start(http)
        nemo_mock.expire_token(token)
        assert http.get("/api/credits/balance/simple").json()["code"] == 1001


def test_the_render_fails_once(nemo_mock) -> None:  # type: ignore[no-untyped-def]
    """Script "the render fails once": the first job fails, a resubmission completes."""
    nemo_mock.faults.add(
        match={"method": "POST", "path": "/api/render/proxy/lambda"},
        times=1,
        action={"type": "render_fail"},
    )
    nemo_mock.configure(time_scale=0)  # only clock.advance moves time in this test
    with _client(nemo_mock) as http:
        _, sid = _start(http)
        draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 5000, "m": {"name": "clip"}}]}], "d": 5000}
        nemo_mock.world.change(nemo_mock.world.sessions[sid], draft=draft)
        for render_id in ("render_1", "render_2"):
            body = {"id": render_id, "sessionId": sid, "draft": draft}
            http.post("/api/render/proxy/lambda", json=body)
        nemo_mock.clock.advance(120)
        statuses = [
            http.get(f"/api/render/proxy/lambda/{i}").json()["data"]["status"]
            for i in ("render_1", "render_2")
        ]
    assert statuses == ["failed", "completed"]
    nemo_mock.journal.expect().in_order(
        [
            ("POST", "/api/render/proxy/lambda"),
            ("POST", "/api/render/proxy/lambda"),
            ("GET", "/api/render/proxy/lambda/*"),
        ]
    )


@pytest.mark.nemo_mock(error_status="http")
def test_a_marker_changes_settings_for_one_test(nemo_mock) -> None:  # type: ignore[no-untyped-def]
    """`@pytest.mark.nemo_mock(...)` sets settings for this test only."""
    with _client(nemo_mock) as http:
        assert http.get("/api/credits/balance/simple").status_code == 401


def test_every_test_starts_fresh(nemo_mock) -> None:  # type: ignore[no-untyped-def]
    """No journal, no rules, the session's settings: earlier tests leave nothing behind."""
    assert len(nemo_mock.journal) == 0 and nemo_mock.faults.rules() == []
    assert nemo_mock.settings.error_status == "body"
