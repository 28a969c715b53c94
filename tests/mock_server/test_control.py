"""Control plane: fault rule admin, tokens and users, scenarios, the guard, its OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from starlette.routing import Route
from starlette.testclient import TestClient

from nemo_mock import contracts
from nemo_mock.server.app import control_routes
from nemo_mock.server.errors import ApiError
from nemo_mock.server.server_block import ScenarioError, apply_server_block
from tests.conftest import Api

RULE = {"match": {"method": "POST", "path": "/run_sse"}, "action": {"type": "sse_silent_close"}}


# -- fault rules admin ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "field"),
    [
        pytest.param({"match": {"method": "POST"}}, "action", id="no-action"),
        pytest.param({"action": {"type": "explode"}}, "action.type", id="unknown-type"),
        pytest.param({"action": {"type": "error"}}, "action.code", id="error-without-code"),
        pytest.param({"action": {"type": "error", "code": 1234}}, "action.code", id="unknown-code"),
        pytest.param(
            {"action": {"type": "delay", "seconds": -1}}, "action.seconds", id="neg-delay"
        ),
        pytest.param({"action": {"type": "drop", "x": 1}}, "action.x", id="unknown-param"),
        pytest.param({"times": 0, "action": {"type": "drop"}}, "times", id="times-zero"),
        pytest.param({"probability": 2, "action": {"type": "drop"}}, "probability", id="prob"),
        pytest.param({"after": -1, "action": {"type": "drop"}}, "after", id="after"),
        pytest.param(
            {"match": {"method": "PUSH"}, "action": {"type": "drop"}}, "match.method", id="method"
        ),
        pytest.param(
            {"match": {"path": "run_sse"}, "action": {"type": "drop"}}, "match.path", id="path"
        ),
        pytest.param(
            {"match": {"path_regex": "("}, "action": {"type": "drop"}},
            "match.path_regex",
            id="regex",
        ),
        pytest.param(
            {"match": {"header": {"value": "x"}}, "action": {"type": "drop"}},
            "match.header.name",
            id="header",
        ),
        pytest.param({"action": {"type": "sse_turn", "kind": "poem"}}, "action.kind", id="kind"),
        pytest.param({"when": 1, "action": {"type": "drop"}}, "when", id="unknown-key"),
    ],
)
def test_bad_rule_answers_400_naming_the_field(
    make_api: Callable[..., Api], rule: Any, field: str
) -> None:
    """A malformed fault rule answers 400 in the envelope with `data.field`."""
    api = make_api()
    r = api.http.post("/_mock/faults", json=rule)
    assert (r.status_code, r.json()["code"], r.json()["data"]["field"]) == (400, 400, field)
    assert field in r.json()["message"] and len(api.world.faults) == 0


def test_rule_answer_has_id_and_counters(make_api: Callable[..., Api]) -> None:
    """POST /_mock/faults answers the rule with id, matched, applied and remaining."""
    data = make_api().http.post("/_mock/faults", json={**RULE, "times": 2}).json()["data"]
    assert data["id"] == "f1"
    assert (data["matched"], data["applied"], data["remaining"], data["spent"]) == (0, 0, 2, False)


def test_several_rules_are_added_all_or_nothing(make_api: Callable[..., Api]) -> None:
    """{"rules": [...]} adds every rule, or none when one is bad (the field names its index)."""
    api = make_api()
    bad = api.http.post("/_mock/faults", json={"rules": [RULE, {"action": {"type": "x"}}]})
    assert bad.json()["data"]["field"] == "rules[1].action.type" and len(api.world.faults) == 0
    good = api.http.post("/_mock/faults", json=[RULE, RULE])
    assert [r["id"] for r in good.json()["data"]["rules"]] == ["f1", "f2"]


def test_rules_are_listed_and_removed_one_by_one(make_api: Callable[..., Api]) -> None:
    """GET lists rules; DELETE /_mock/faults/{id} removes one; an unknown id is 404."""
    api = make_api()
    api.http.post("/_mock/faults", json=[RULE, RULE])
    assert api.http.delete("/_mock/faults/f1").json()["data"] == {"removed": "f1"}
    assert [r["id"] for r in api.http.get("/_mock/faults").json()["data"]["rules"]] == ["f2"]
    assert api.http.get("/_mock/faults/f1").json()["code"] == 404


def test_delete_faults_removes_every_rule(make_api: Callable[..., Api]) -> None:
    """DELETE /_mock/faults clears the rules."""
    api = make_api()
    api.http.post("/_mock/faults", json=[RULE, RULE])
    assert api.http.delete("/_mock/faults").json()["data"] == {"removed": 2}
    assert api.http.get("/_mock/faults").json()["data"]["rules"] == []


def test_reset_removes_fault_rules(make_api: Callable[..., Api]) -> None:
    """POST /_mock/reset forgets the rules too."""
    api = make_api()
    api.http.post("/_mock/faults", json=RULE)
    api.http.post("/_mock/reset")
    assert len(api.world.faults) == 0


def test_drop_in_process_raises_instead_of_answering(make_api: Callable[..., Api]) -> None:
    """Without a socket to close (in-process ASGI) a drop raises ConnectionDropped."""
    from nemo_mock.server.fault_actions import ConnectionDropped

    api = make_api()
    api.http.post("/_mock/faults", json={"action": {"type": "drop"}})
    with pytest.raises(ConnectionDropped):
        api.token()


# -- tokens and users -----------------------------------------------------------------------
def _balance(api: Api, token: str) -> dict[str, Any]:
    body: dict[str, Any] = api.http.get(
        "/api/credits/balance/simple", headers=api.headers(token)
    ).json()
    return body


def test_revoked_token_answers_1001(make_api: Callable[..., Api]) -> None:
    """POST /_mock/tokens/revoke: the token's next use is 1001."""
    api = make_api()
    token = api.token()
    r = api.http.post("/_mock/tokens/revoke", json={"token": token})
    assert r.json()["data"]["revoked"] is True
    assert _balance(api, token)["code"] == 1001


def test_expired_token_answers_1001_and_the_client_may_mint_again(
    make_api: Callable[..., Api],
) -> None:
    """POST /_mock/tokens/expire expires it now; the same client id can mint a new one."""
    api = make_api()
    token = api.token("cli-1")
    assert (
        api.http.post("/_mock/tokens/expire", json={"token": token}).json()["data"]["live"] is False
    )
    assert _balance(api, token)["code"] == 1001
    new = api.token("cli-1")
    assert new != token and _balance(api, new)["code"] == 0


def test_token_admin_accepts_the_journal_fingerprint(make_api: Callable[..., Api]) -> None:
    """A token can be named by the fingerprint the journal shows."""
    api = make_api()
    token = api.token()
    api.http.get("/api/credits/balance/simple", headers=api.headers(token))
    fp = api.world.journal.query({"path": "/api/credits/balance/simple"})[0]["headers"][
        "authorization"
    ].split()[1]
    api.http.post("/_mock/tokens/revoke", json={"fingerprint": fp})
    assert _balance(api, token)["code"] == 1001


def test_token_admin_unknown_token_is_404(make_api: Callable[..., Api]) -> None:
    """An unknown token answers 404; a body without token or fingerprint answers 400."""
    api = make_api()
    assert api.http.post("/_mock/tokens/expire", json={"token": "nope"}).json()["code"] == 404
    assert api.http.post("/_mock/tokens/expire", json={}).json()["code"] == 400


def test_registered_user_gets_a_token_with_its_credits(make_api: Callable[..., Api]) -> None:
    """POST /_mock/users {credits} gives a registered user and a working token."""
    api = make_api()
    data = api.http.post("/_mock/users", json={"credits": 500}).json()["data"]
    assert data["registered"] is True and data["credits"]["total"] == 500
    assert _balance(api, data["token"])["data"] == {"available": 500, "frozen": 0, "total": 500}


def test_user_credits_top_up_and_set(make_api: Callable[..., Api]) -> None:
    """POST /_mock/users/{id}/credits adds `credits` or sets `total`."""
    api = make_api()
    user = api.http.post("/_mock/users", json={"credits": 10}).json()["data"]
    url = f"/_mock/users/{user['user_id']}/credits"
    assert api.http.post(url, json={"credits": 5}).json()["data"]["total"] == 15
    assert api.http.post(url, json={"total": 0}).json()["data"]["available"] == 0
    assert api.http.post("/_mock/users/usr_x/credits", json={"credits": 1}).json()["code"] == 404


def test_2001_for_a_registered_user_has_no_bind_id(make_api: Callable[..., Api]) -> None:
    """Registered users are told to top up: no data.bind_id."""
    api = make_api()
    _, user = api.world.register_user(0)
    session = api.world.create_session(user, "p", "en")
    with pytest.raises(ApiError) as err:
        api.world.freeze(user, 50, session)
    assert err.value.code == 2001 and "bind_id" not in (err.value.data or {})


def test_2001_for_an_anonymous_user_carries_the_bind_id(make_api: Callable[..., Api]) -> None:
    """Anonymous users get data.bind_id (the task id) to build the registration URL."""
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    world = api.world
    user = world.users[world.tokens[token].user_id]
    with pytest.raises(ApiError) as err:
        world.freeze(user, user.available + 1, world.sessions[sid])
    assert err.value.code == 2001 and err.value.data["bind_id"] == world.sessions[sid].task_id


# -- scenarios ------------------------------------------------------------------------------
def test_scenario_block_with_seed_resets_and_adds_faults(make_api: Callable[..., Api]) -> None:
    """POST /_mock/scenario: a new seed resets the world; settings merge; faults are added."""
    api = make_api()
    token = api.token()
    block = {"server": {"seed": 7, "settings": {"error_status": "http"}, "faults": [RULE]}}
    data = api.http.post("/_mock/scenario", json=block).json()["data"]
    assert data["seed"] == 7 and [r["id"] for r in data["faults"]] == ["f1"]
    assert api.world.settings.error_status == "http"
    assert token not in api.world.tokens


def test_scenario_without_seed_keeps_state(make_api: Callable[..., Api]) -> None:
    """Settings alone are merged into the running world; tokens survive."""
    api = make_api()
    token = api.token()
    api.http.post("/_mock/scenario", json={"server": {"settings": {"silent_close_rate": 1.0}}})
    assert api.world.settings.silent_close_rate == 1.0 and token in api.world.tokens


def test_whole_scenario_yaml_file_is_accepted(make_api: Callable[..., Api]) -> None:
    """A scenario file with steps and expectations: only its server block is applied."""
    api = make_api()
    doc = {
        "name": "x",
        "steps": [{"say": "hello"}],
        "expect": [],
        "server": {
            "faults": [{"match": {"path": "/api/*"}, "action": {"type": "error", "code": 429}}]
        },
    }
    r = api.http.post(
        "/_mock/scenario", content=yaml.safe_dump(doc), headers={"content-type": "application/yaml"}
    )
    assert r.json()["code"] == 0
    assert (
        api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "a"}).json()["code"]
        == 429
    )


@pytest.mark.parametrize(
    "block",
    [
        pytest.param({"server": {"sed": 1}}, id="unknown-key"),
        pytest.param({"server": {"seed": "x"}}, id="seed"),
        pytest.param({"server": {"settings": {"nope": 1}}}, id="setting"),
        pytest.param({"server": {"settings": {"port": 1}}}, id="restart-only"),
        pytest.param({"server": {"faults": [{"action": {"type": "x"}}]}}, id="fault"),
    ],
)
def test_bad_scenario_block_is_400_and_changes_nothing(
    make_api: Callable[..., Api], block: Any
) -> None:
    """A bad block answers 400 naming the key; nothing is applied."""
    api = make_api()
    before = api.world.settings
    r = api.http.post("/_mock/scenario", json=block)
    assert r.json()["code"] == 400 and "server." in r.json()["message"]
    assert api.world.settings == before and len(api.world.faults) == 0


def test_apply_server_block_from_python(make_api: Callable[..., Api]) -> None:
    """apply_server_block(world, block) is what the runner calls; errors are ScenarioError."""
    api = make_api()
    apply_server_block(api.world, {"seed": 3, "faults": [RULE]})
    assert api.world.settings.seed == 3 and len(api.world.faults) == 1
    with pytest.raises(ScenarioError):
        apply_server_block(api.world, {"faults": "nope"})


# -- the guard ------------------------------------------------------------------------------
def test_admin_token_is_required_when_set(make_api: Callable[..., Api]) -> None:
    """With --admin-token, a control call without it answers 401 in the envelope."""
    api = make_api(admin_token="s3cret")
    r = api.http.get("/_mock/faults")
    assert (r.status_code, r.json()["code"]) == (401, 400)
    assert api.http.get("/_mock/faults", headers={"X-Admin-Token": "wrong"}).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{"X-Admin-Token": "s3cret"}, {"Authorization": "Bearer s3cret"}],
    ids=["x-admin-token", "bearer"],
)
def test_admin_token_opens_the_control_plane(
    make_api: Callable[..., Api], headers: dict[str, str]
) -> None:
    """The admin token is accepted as X-Admin-Token or as a bearer token."""
    api = make_api(admin_token="s3cret")
    assert api.http.post("/_mock/faults", json=RULE, headers=headers).json()["code"] == 0


def test_admin_token_does_not_guard_the_api(make_api: Callable[..., Api]) -> None:
    """The API itself never needs the admin token."""
    api = make_api(admin_token="s3cret")
    assert api.token()


def test_non_loopback_client_is_refused(make_api: Callable[..., Api]) -> None:
    """A control call from another host answers 403 unless allow_remote_admin."""
    api = make_api()
    remote = TestClient(api.app, client=("10.0.0.5", 1234))
    r = remote.get("/_mock/health")
    assert (r.status_code, r.json()["code"]) == (403, 400)
    assert remote.post("/_mock/reset").status_code == 403
    assert (
        remote.post("/api/auth/anonymous-token", headers={"X-Client-Id": "a"}).json()["code"] == 0
    )


def test_allow_remote_admin_lets_other_hosts_in(make_api: Callable[..., Api]) -> None:
    """With allow_remote_admin a remote client is served (the admin token still applies)."""
    api = make_api(allow_remote_admin=True, admin_token="t")
    remote = TestClient(api.app, client=("10.0.0.5", 1234))
    assert remote.get("/_mock/health").status_code == 401
    assert remote.get("/_mock/health", headers={"X-Admin-Token": "t"}).json()["code"] == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_addresses_are_allowed(make_api: Callable[..., Api], host: str) -> None:
    """IPv4 and IPv6 loopback clients reach the control plane."""
    client = TestClient(make_api().app, client=(host, 1234))
    assert client.get("/_mock/health").json()["code"] == 0


def _control_paths() -> list[tuple[str, str]]:
    out = []
    for route in control_routes():
        assert isinstance(route, Route)
        out += [(route.path, m) for m in sorted(route.methods or ()) if m != "HEAD"]
    return out


@pytest.mark.parametrize(("path", "method"), _control_paths())
def test_every_control_path_is_guarded(
    make_api: Callable[..., Api], path: str, method: str
) -> None:
    """Every /_mock route refuses a remote client (403)."""
    remote = TestClient(make_api().app, client=("192.168.1.9", 1234))
    concrete = path.replace("{rule_id}", "f1").replace("{user_id}", "u1")
    assert remote.request(method, concrete).status_code == 403


# -- the control plane's OpenAPI document ---------------------------------------------------
def test_openapi_document_is_served(make_api: Callable[..., Api]) -> None:
    """GET /_mock/openapi.json serves contracts/control-openapi.yaml."""
    doc = make_api().http.get("/_mock/openapi.json").json()
    assert doc == contracts.control_openapi() and doc["openapi"].startswith("3.1")


@pytest.mark.parametrize(("path", "method"), _control_paths())
def test_every_control_route_is_documented(path: str, method: str) -> None:
    """contracts/control-openapi.yaml documents every /_mock route and method."""
    paths = contracts.control_openapi()["paths"]
    assert path in paths and method.lower() in paths[path]


# DESIGN §5's fault catalogue, written out here as the oracle for the document
DESIGN_ACTIONS = {
    "error", "status", "delay", "drop", "malformed_json", "slow_body",
    "sse_silent_close", "sse_truncate", "sse_error", "sse_stall", "sse_trailing_text", "sse_turn",
    "render_fail", "render_stall",
}  # fmt: skip


def test_fault_action_types_are_documented() -> None:
    """The rule schema lists exactly DESIGN §5's actions, and each one is accepted as a rule."""
    from nemo_mock.server.faults import action_types, parse_rule

    assert set(action_types()) == DESIGN_ACTIONS
    required = {"error": {"code": 1001}, "status": {"status": 503}, "delay": {"seconds": 1}}
    for kind in DESIGN_ACTIONS:
        rule = parse_rule({"action": {"type": kind, **required.get(kind, {})}}, "r")
        assert rule.type == kind


def test_fault_rule_examples_in_the_document_are_valid(make_api: Callable[..., Api]) -> None:
    """Every example rule in the document is accepted by the emulator."""
    examples = contracts.control_openapi()["components"]["schemas"]["FaultRule"]["examples"]
    api = make_api()
    for rule in examples:
        assert api.http.post("/_mock/faults", json=rule).json()["code"] == 0, rule
