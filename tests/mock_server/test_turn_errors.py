"""/run_sse failures before any frame: JSON envelopes, never a stream (DESIGN §3.4)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

RUN = "/run_sse"


def body(session_id: str, text: str = "add music", **extra: Any) -> dict[str, Any]:
    return {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"parts": [{"text": text}]},
        **extra,
    }


def assert_envelope(r: Any, code: int, api: Api) -> dict[str, Any]:
    """A JSON envelope with `code`, under the api's error_status mode."""
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["code"] == code
    spec_status = {
        "body": {1001: 200, 1002: 200, 2001: 200, 400: 400},
        "http": {1001: 401, 1002: 404, 2001: 402, 400: 400},
    }
    assert r.status_code == spec_status[api.settings.error_status][code]
    data: dict[str, Any] = r.json()
    return data


def test_missing_token_answers_1001_before_any_frame(api: Api) -> None:
    """'Pre-stream failures (1001, 1002, 2001, malformed) answer as JSON, not as a stream'."""
    sid = api.session(api.token())["session_id"]
    assert_envelope(api.http.post(RUN, headers=api.headers(), json=body(sid)), 1001, api)


def test_unknown_session_answers_1002_before_any_frame(api: Api) -> None:
    """1002 session not found, as JSON."""
    token = api.token()
    r = api.http.post(
        RUN, headers=api.headers(token), json=body("00000000-0000-4000-8000-000000000000")
    )
    assert_envelope(r, 1002, api)


def test_another_users_session_answers_1002(api: Api) -> None:
    """Sessions belong to the token's user."""
    sid = api.session(api.token())["session_id"]
    assert_envelope(api.http.post(RUN, headers=api.headers(api.token()), json=body(sid)), 1002, api)


def test_not_enough_credits_answers_2001_with_bind_id(api: Api) -> None:
    """'2001 (available credits < the turn's cost; anonymous users' 2001 carries data.bind_id)'."""
    token = api.token()
    s = api.session(token)
    user = api.world.users[api.world.sessions[s["session_id"]].user_id]
    user.total = api.settings.cost_edit - 1
    r = api.http.post(RUN, headers=api.headers(token), json=body(s["session_id"], "add music"))
    data = assert_envelope(r, 2001, api)["data"]
    assert data["bind_id"] == s["task_id"]
    assert (user.frozen, api.world.sessions[s["session_id"]].turns) == (0, 0)


def test_generation_needs_the_generation_cost(api: Api) -> None:
    """Costs by kind: a generation needs cost_generation available (edits only cost_edit)."""
    token = api.token()
    sid = api.session(token)["session_id"]
    user = api.world.users[api.world.sessions[sid].user_id]
    user.total = api.settings.cost_generation - 1
    r = api.http.post(RUN, headers=api.headers(token), json=body(sid, "generate a video"))
    assert_envelope(r, 2001, api)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b.pop("session_id"), id="missing-session-id"),
        pytest.param(lambda b: b.update(session_id=""), id="empty-session-id"),
        pytest.param(lambda b: b.update(app_name="other_agent"), id="wrong-app-name"),
        pytest.param(lambda b: b.pop("app_name"), id="missing-app-name"),
        pytest.param(lambda b: b.pop("new_message"), id="missing-new-message"),
        pytest.param(lambda b: b.update(new_message={"parts": []}), id="no-parts"),
        pytest.param(lambda b: b.update(new_message={"parts": [{"text": "  "}]}), id="blank-text"),
        pytest.param(
            lambda b: b.update(new_message={"parts": [{"inline_data": {}}]}), id="no-text-part"
        ),
        pytest.param(lambda b: b.update(new_message="hi"), id="message-not-an-object"),
        pytest.param(lambda b: b.update(streaming="yes"), id="streaming-not-bool"),
    ],
)
def test_malformed_body_answers_400(api: Api, mutate: Any) -> None:
    """'400 (malformed: missing session_id, no text part, wrong app_name)'."""
    token = api.token()
    b = body(api.session(token)["session_id"])
    mutate(b)
    assert_envelope(api.http.post(RUN, headers=api.headers(token), json=b), 400, api)


def test_non_json_body_answers_400(api: Api) -> None:
    """A body that is not JSON is malformed."""
    r = api.http.post(
        RUN,
        headers={**api.headers(api.token()), "content-type": "application/json"},
        content=b"{nope",
    )
    assert_envelope(r, 400, api)


def test_pre_stream_failure_freezes_nothing(api: Api) -> None:
    """Credits are frozen only when the turn starts."""
    token = api.token()
    sid = api.session(token)["session_id"]
    api.http.post(RUN, headers=api.headers(token), json={**body(sid), "app_name": "x"})
    r = api.http.get("/api/credits/balance/simple", headers=api.headers(token))
    assert r.json()["data"]["frozen"] == 0
