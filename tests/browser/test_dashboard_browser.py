"""The live dashboard (/_mock/ui) and the claim page in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

pytestmark = [pytest.mark.live, pytest.mark.browser]

CLOCK_START = 1_800_000_000.0
HEADERS = {"X-Skill-Source": "video-create", "X-Skill-Version": "1.0.0", "X-Skill-Platform": "x"}


@pytest.fixture
def live() -> Iterator[LiveServer]:
    """An emulator whose clock only moves when told (time_scale 0)."""
    with LiveServer(Settings(seed=7, time_scale=0, clock_start=CLOCK_START)) as server:
        yield server


def _user(http: httpx.Client) -> tuple[dict[str, str], str]:
    token = http.post(
        "/api/auth/anonymous-token", headers={**HEADERS, "X-Client-Id": "dash-1"}
    ).json()["data"]["token"]
    auth = {**HEADERS, "Authorization": f"Bearer {token}"}
    sid = http.post(
        "/api/tasks/me/with-session/nemo_agent", headers=auth, json={"task_name": "Dash demo"}
    ).json()["data"]["session_id"]
    return auth, sid


def _turn(http: httpx.Client, auth: dict[str, str], sid: str, text: str) -> str:
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"parts": [{"text": text}]},
    }
    with http.stream("POST", "/run_sse", headers=auth, json=body) as r:
        return "".join(r.iter_text())


def test_dashboard_shows_a_turn_and_the_session_timeline_live(live: Any, page: Any, screenshot):
    """Issue 17: the dashboard shows a live session's timeline and updates as turns run."""
    page.goto(live.url + "/_mock/ui")
    page.wait_for_selector("#status:text-matches('live')")
    live.world.clock.set_time_scale(600)  # turns play in well under a second of real time
    with httpx.Client(base_url=live.url, timeout=10) as http:
        auth, sid = _user(http)
        page.wait_for_selector(f'.session[data-session="{sid}"] svg.timeline.empty')
        _turn(http, auth, sid, "generate a 10-second clip of a city timelapse")
    page.wait_for_selector('#journal tr.entry[data-path="/run_sse"]')
    session = page.locator(f'.session[data-session="{sid}"]')
    session.locator('svg.timeline .track[data-tt="0"] .segment').first.wait_for()
    assert session.locator("svg.timeline .track").count() >= 2  # the clip and its BGM at least
    assert "Timeline (" in session.locator(".summary").inner_text()
    row = page.locator('#journal tr.entry[data-path="/run_sse"]')
    page.wait_for_function(
        "() => /tool_call/.test(document.querySelector("
        "'#journal tr.entry[data-path=\"/run_sse\"] td.stream').textContent)"
    )
    assert "tool_result" in row.locator("td.stream").inner_text()
    screenshot(page, "dashboard-after-turn")
    assert page.outside == []


def test_dashboard_advance_button_finishes_a_render(live: Any, page: Any, screenshot):
    """DESIGN §3.5: a render completes after 30-90 s virtual; the dashboard's advance moves time."""
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 5000, "m": {"name": "clip"}}]}], "d": 5000}
    with httpx.Client(base_url=live.url, timeout=10) as http:
        auth, sid = _user(http)
        r = http.post(
            "/api/render/proxy/lambda",
            headers=auth,
            json={"id": "render_dash1", "sessionId": sid, "draft": draft},
        )
        assert r.json()["code"] == 0
    page.goto(live.url + "/_mock/ui")
    status = page.locator('#renders tr[data-render="render_dash1"] .render-status')
    status.wait_for()
    assert status.inner_text() in ("pending", "processing")
    page.fill("#advance-seconds", "120")
    page.click("#advance")
    page.wait_for_selector('#renders tr[data-render="render_dash1"] .render-status.completed')
    screenshot(page, "dashboard-render-completed")


def test_dashboard_adds_and_removes_a_fault_rule(live: Any, page: Any):
    """DESIGN §5: fault rules can be listed, added and removed (here through the dashboard)."""
    page.goto(live.url + "/_mock/ui")
    page.click("#fault-form button")
    page.wait_for_selector("#faults tr[data-rule]")
    assert len(live.world.faults) == 1
    page.click("#faults button.remove")
    page.wait_for_selector("#faults tr[data-rule]", state="detached")
    assert len(live.world.faults) == 0


def test_claim_page_draws_the_session_timeline(live: Any, page: Any, screenshot):
    """DESIGN §3.2: the claim page shows that session's timeline (as a picture)."""
    live.world.clock.set_time_scale(600)
    with httpx.Client(base_url=live.url, timeout=10) as http:
        auth, sid = _user(http)
        _turn(http, auth, sid, "generate a 10-second clip of a city timelapse")
        state = http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=auth).json()["data"]
        url = http.post(
            "/api/auth/claim-token",
            headers=auth,
            json={"task_id": state["task_id"], "session_id": sid},
        ).json()["data"]["url"]
    page.goto(url)
    tracks = page.locator("#timeline svg.timeline .track")
    tracks.first.wait_for()
    assert tracks.count() == len(state["state"]["draft"]["t"])
    assert page.locator('#timeline .track[data-tt="0"] .segment').count() >= 1
    screenshot(page, "claim-page")
    assert page.outside == []


def test_dashboard_behind_an_admin_token_works_after_the_browser_login(browser: Any):
    """Control guard: with --admin-token the browser asks for it (Basic) and the page then works."""
    settings = Settings(seed=7, time_scale=0, clock_start=CLOCK_START, admin_token="s3cret")
    with LiveServer(settings) as server:
        for password, outcome in (("wrong", 401), ("s3cret", 200)):
            context = browser.new_context(http_credentials={"username": "me", "password": password})
            try:
                pg = context.new_page()
                pg.set_default_timeout(10_000)
                response = pg.goto(server.url + "/_mock/ui")
                assert response is not None and response.status == outcome
                if outcome == 200:
                    pg.wait_for_selector("#status:text-matches('live')")
            finally:
                context.close()


def test_dashboard_settings_form_changes_the_emulator(live: Any, page: Any):
    """DESIGN §5: PATCH /_mock/config changes error_status, silent_close_rate and time_scale."""
    page.goto(live.url + "/_mock/ui")
    page.wait_for_selector("#status:text-matches('live')")
    page.select_option("#settings select[name=error_status]", "http")
    page.fill("#settings input[name=silent_close_rate]", "0.75")
    page.fill("#settings input[name=time_scale]", "60")
    page.click("#settings button")
    page.wait_for_selector("#status:text-matches('settings applied')")
    s = live.world.settings
    assert (s.error_status, s.silent_close_rate, s.time_scale) == ("http", 0.75, 60.0)
