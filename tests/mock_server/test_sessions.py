"""Sessions, credits and state (DESIGN §3.3)."""

from __future__ import annotations

import pytest

from nemo_mock import contracts
from tests.conftest import Api

SESSION = "/api/tasks/me/with-session/nemo_agent"


def state_path(sid: str) -> str:
    return f"/api/state/nemo_agent/me/{sid}/latest"


def test_create_session_answers_task_and_session_ids(api: Api) -> None:
    """'returns task_id, session_id.'"""
    s = api.session(api.token(), language="en")
    assert s["task_id"].startswith("task_") and len(s["session_id"]) == 36


def test_language_is_optional(api: Api) -> None:
    """Seed 003 sends {"task_name":"project"} only; the default language is 'en'."""
    token = api.token()
    r = api.http.post(SESSION, headers=api.headers(token), json={"task_name": "project"})
    sid = r.json()["data"]["session_id"]
    assert api.world.sessions[sid].language == "en"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-task-name"),
        pytest.param({"task_name": ""}, id="empty-task-name"),
        pytest.param({"task_name": 5}, id="task-name-not-a-string"),
        pytest.param({"task_name": "p", "language": 3}, id="language-not-a-string"),
        pytest.param([1, 2], id="not-an-object"),
    ],
)
def test_malformed_session_body_answers_400(api: Api, body: object) -> None:
    """ASSUMPTION: any malformed request answers 400."""
    r = api.http.post(SESSION, headers=api.headers(api.token()), json=body)
    assert (r.status_code, r.json()["code"]) == (400, 400)


def test_invalid_json_answers_400(api: Api) -> None:
    """A body that is not JSON is malformed."""
    r = api.http.post(
        SESSION,
        headers={**api.headers(api.token()), "content-type": "application/json"},
        content=b"{nope",
    )
    assert r.json()["code"] == 400


def test_another_users_session_answers_1002(api: Api) -> None:
    """Sessions belong to the token's user; another user's session id → 1002."""
    sid = api.session(api.token())["session_id"]
    r = api.http.get(state_path(sid), headers=api.headers(api.token()))
    assert r.json()["code"] == 1002
    assert r.status_code == contracts.errors()[1002].http_status(api.settings.error_status)


def test_unknown_session_answers_1002(api: Api) -> None:
    """'1002 — Session not found: new session.'"""
    r = api.http.get(
        state_path("00000000-0000-4000-8000-000000000000"), headers=api.headers(api.token())
    )
    assert r.json()["code"] == 1002


def test_idle_session_expires(api: Api) -> None:
    """Idle sessions expire (setting, default 24 h virtual) → 1002."""
    token = api.token()
    sid = api.session(token)["session_id"]
    api.advance(api.settings.session_idle_timeout + 1)
    assert api.http.get(state_path(sid), headers=api.headers(token)).json()["code"] == 1002


def test_activity_keeps_a_session_alive(api: Api) -> None:
    """Idle expiry counts from the last request, not from creation."""
    token = api.token()
    sid = api.session(token)["session_id"]
    for _ in range(3):
        api.advance(api.settings.session_idle_timeout * 0.6)
        assert api.http.get(state_path(sid), headers=api.headers(token)).json()["code"] == 0


def test_state_has_draft_infos_media_canvas_and_version(api: Api) -> None:
    """'key fields: data.state.draft, data.state.video_infos, data.state.generated_media'."""
    token = api.token()
    sid = api.session(token)["session_id"]
    data = api.http.get(state_path(sid), headers=api.headers(token)).json()["data"]
    assert set(data) == {"task_id", "session_id", "version", "state"}
    assert set(data["state"]) == {"draft", "video_infos", "generated_media", "canvas_config"}
    assert data["state"]["draft"] == {"t": [], "d": 0} and data["version"] == 0


def test_state_version_grows_with_every_change(api: Api) -> None:
    """`version` grows with every change."""
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    api.add_clip(sid, seconds=5)
    assert api.http.get(state_path(sid), headers=api.headers(token)).json()["data"]["version"] == 2


def test_credits_start_at_100_with_invariant(api: Api) -> None:
    """'returns available, frozen, total'; available + frozen == total."""
    data = api.http.get("/api/credits/balance/simple", headers=api.headers(api.token())).json()[
        "data"
    ]
    assert data == {"available": 100, "frozen": 0, "total": 100}


def test_frozen_credits_show_in_the_balance(api: Api) -> None:
    """A turn freezes its cost at start: available + frozen == total."""
    token = api.token()
    user = api.world.authenticate(f"Bearer {token}")
    api.world.freeze(user, 50)
    data = api.http.get("/api/credits/balance/simple", headers=api.headers(token)).json()["data"]
    assert data == {"available": 50, "frozen": 50, "total": 100}


def test_insufficient_credits_answer_2001_with_bind_id_for_anonymous(api: Api) -> None:
    """'2001 — Anonymous: show registration URL with ?bind=<id>'."""
    from nemo_mock.server.errors import ApiError

    token = api.token()
    sid = api.session(token)["session_id"]
    user = api.world.authenticate(f"Bearer {token}")
    with pytest.raises(ApiError) as err:
        api.world.freeze(user, 101, api.world.sessions[sid])
    assert err.value.code == 2001 and err.value.data
    assert err.value.data["bind_id"] == api.world.sessions[sid].task_id


def test_registered_users_2001_has_no_bind_id(api: Api) -> None:
    """'Registered: Top up credits in your account' — no registration link."""
    from nemo_mock.server.errors import ApiError

    _, user = api.world.register_user(10)
    with pytest.raises(ApiError) as err:
        api.world.freeze(user, 50)
    assert err.value.code == 2001 and "bind_id" not in (err.value.data or {})
    assert "top up" in err.value.message.lower()


def test_consume_and_release_keep_the_invariant(api: Api) -> None:
    """Consume on success, release on failure; never negative."""
    _, user = api.world.register_user(100)
    api.world.freeze(user, 50)
    api.world.consume(user, 50)
    api.world.freeze(user, 30)
    api.world.release(user, 30)
    assert (user.available, user.frozen, user.total) == (50, 0, 50)
