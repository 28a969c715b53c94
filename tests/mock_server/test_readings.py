"""Where the sources allow several readings, each is a setting; one test per reading."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from nemo_mock.server.serving import LiveServer
from tests.conftest import ATTRIBUTION, Api

SUBMIT = "/api/render/proxy/lambda"
CREDITS = "/api/credits/balance/simple"
DRAFT = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 2000, "m": {"name": "clip"}}]}], "d": 2000}
JOB_KEYS = {"id", "status", "progress", "output", "error"}
STREAM_DEADLINE = 20.0  # real seconds: a 10-30 s edit turn takes 10-30 ms at time_scale 1000


def submit(api: Api, token: str, sid: str, headers: dict[str, str] | None = None) -> Any:
    body = {"id": "render_1", "sessionId": sid, "draft": DRAFT}
    return api.http.post(SUBMIT, headers=headers or api.headers(token), json=body)


def without(api: Api, token: str, name: str) -> dict[str, str]:
    return {k: v for k, v in api.headers(token).items() if k != name}


# -- render_status_shape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "job_at"),
    [
        pytest.param("envelope", lambda b: b["data"], id="envelope"),
        pytest.param("bare", lambda b: b, id="bare"),
        pytest.param("success", lambda b: b["data"], id="success"),
    ],
)
def test_render_status_comes_in_the_configured_shape(
    make_api: Callable[..., Api], shape: str, job_at: Callable[[Any], Any]
) -> None:
    """v1.9 §3.5 'Status at top-level `status`' (bare), the envelope, or {success, data}."""
    api = make_api(render_status_shape=shape)
    token = api.token()
    submit(api, token, api.session(token)["session_id"])
    body = api.http.get(f"{SUBMIT}/render_1", headers=api.headers(token)).json()
    assert set(job_at(body)) == JOB_KEYS and job_at(body)["status"] == "pending"
    assert ("code" in body) is (shape == "envelope")
    assert (body.get("success") is True) is (shape == "success")


def test_bare_render_status_errors_stay_envelopes(make_api: Callable[..., Api]) -> None:
    """Whatever the shape, an unknown render id answers the 404 envelope."""
    api = make_api(render_status_shape="bare")
    r = api.http.get(f"{SUBMIT}/render_nope", headers=api.headers(api.token()))
    assert (r.status_code, r.json()["code"]) == (404, 404)


# -- export_402 ----------------------------------------------------------------------------------


def test_missing_attribution_rule_blocks_any_user(make_api: Callable[..., Api]) -> None:
    """seeds: 'Missing attribution headers will cause export to fail with 402' (any user)."""
    api = make_api(export_402="missing_attribution")
    token = api.token()
    r = submit(api, token, api.session(token)["session_id"], without(api, token, "X-Skill-Source"))
    assert (r.status_code, r.json()["code"]) == (402, 402)


def test_exhausted_anonymous_rule_lets_a_user_with_credits_export(
    make_api: Callable[..., Api],
) -> None:
    """CHANGELOG 1.5: only anonymous users whose credits ran out were refused."""
    api = make_api(export_402="exhausted_anonymous")
    token = api.token()
    r = submit(api, token, api.session(token)["session_id"], without(api, token, "X-Skill-Source"))
    assert r.json()["code"] == 0


def test_exhausted_anonymous_rule_blocks_an_anonymous_user_without_credits(
    make_api: Callable[..., Api],
) -> None:
    """CHANGELOG 1.5: an anonymous user with no credits left is refused with 402."""
    api = make_api(export_402="exhausted_anonymous", starter_credits=0)
    token = api.token()
    r = submit(api, token, api.session(token)["session_id"], without(api, token, "X-Skill-Source"))
    assert (r.status_code, r.json()["code"]) == (402, 402)


def test_exhausted_anonymous_rule_never_blocks_a_registered_user(
    make_api: Callable[..., Api],
) -> None:
    """CHANGELOG 1.5 names anonymous users only: a registered user with 0 credits exports."""
    api = make_api(export_402="exhausted_anonymous")
    token, _ = api.world.register_user(0)
    sid = api.session(token.value)["session_id"]
    r = submit(api, token.value, sid, without(api, token.value, "X-Skill-Version"))
    assert r.json()["code"] == 0


# -- attribution_required ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", CREDITS), ("POST", "/api/tasks/me/with-session/nemo_agent")],
)
def test_attribution_on_export_only_lets_other_calls_through(
    make_api: Callable[..., Api], method: str, path: str
) -> None:
    """seeds: the headers' absence is named as an export failure only."""
    api = make_api(attribution_required="export")
    token = api.token()
    r = api.http.request(
        method, path, headers={"Authorization": f"Bearer {token}"}, json={"task_name": "p"}
    )
    assert r.json()["code"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", CREDITS), ("POST", "/api/tasks/me/with-session/nemo_agent")],
)
def test_attribution_everywhere_fails_auth_without_the_headers(
    make_api: Callable[..., Api], method: str, path: str
) -> None:
    """v1.9 §3: missing headers 'will cause auth failures or export 402' — 1001 off export."""
    api = make_api(attribution_required="everywhere")
    token = api.token()
    headers = without(api, token, "X-Skill-Platform")
    r = api.http.request(method, path, headers=headers, json={"task_name": "p"})
    assert r.json()["code"] == 1001 and "X-Skill-Platform" in r.json()["message"]


def test_attribution_everywhere_still_answers_with_the_headers(
    make_api: Callable[..., Api],
) -> None:
    """A client that sends the three headers on every call is served as before."""
    api = make_api(attribution_required="everywhere")
    token = api.token()
    assert api.http.get(CREDITS, headers=api.headers(token)).json()["code"] == 0


def test_attribution_everywhere_spares_the_anonymous_token(make_api: Callable[..., Api]) -> None:
    """v1.9 §1's own token request sends only X-Client-Id: it is not refused."""
    api = make_api(attribution_required="everywhere")
    r = api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c"})
    assert r.json()["code"] == 0


def test_attribution_everywhere_keeps_402_for_the_export(make_api: Callable[..., Api]) -> None:
    """An export without the headers answers 402 (not 1001) under either scope."""
    api = make_api(attribution_required="everywhere")
    token = api.token()
    r = submit(api, token, api.session(token)["session_id"], without(api, token, "X-Skill-Source"))
    assert r.json()["code"] == 402


# -- edit_charge ---------------------------------------------------------------------------------


def _spent_after_two_edits(live: LiveServer) -> int:
    """Credits spent by two edit turns of one session, each stream read to its end."""
    with httpx.Client(base_url=live.url, timeout=STREAM_DEADLINE) as http:
        r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c", **ATTRIBUTION})
        headers = {"Authorization": f"Bearer {r.json()['data']['token']}", **ATTRIBUTION}
        r = http.post(
            "/api/tasks/me/with-session/nemo_agent", headers=headers, json={"task_name": "p"}
        )
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": r.json()["data"]["session_id"],
            "new_message": {"parts": [{"text": 'add a title "Hi"'}]},
        }
        for _ in range(2):
            with http.stream("POST", "/run_sse", headers=headers, json=body) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                stream.read()  # the turn ends when its stream closes
        data = http.get(CREDITS, headers=headers).json()["data"]
    assert data["frozen"] == 0
    return int(live.settings.starter_credits - data["total"])


@pytest.mark.live
def test_edit_charge_per_session_charges_the_first_edit_only(
    live_server: Callable[..., LiveServer],
) -> None:
    """v1.9 §8 'editing ~50/session': two edits in one session cost 50."""
    live = live_server(time_scale=1000.0, edit_charge="session", silent_close_rate=0.0)
    assert _spent_after_two_edits(live) == 50


@pytest.mark.live
def test_edit_charge_per_turn_charges_every_edit(live_server: Callable[..., LiveServer]) -> None:
    """The per-turn reading: two edits cost 2 × 50."""
    live = live_server(time_scale=1000.0, edit_charge="turn", silent_close_rate=0.0)
    assert _spent_after_two_edits(live) == 100


def test_settings_reject_an_unknown_reading() -> None:
    """Each reading setting takes only its documented values."""
    from nemo_mock.server.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="render_status_shape"):
        Settings().merged({"render_status_shape": "nested"})
