"""One matcher and one expectation engine: `/_mock/verify`, the plugin's `expect()` and a
scenario expectation give the same verdict for the same journal and the same expectation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml

from nemo_mock import contracts
from nemo_mock.scenarios import Expectation, RunRecord, StepRecord, evaluate, load_library, parse
from nemo_mock.scenarios._load import schema as scenario_schema
from nemo_mock.scenarios._model import JOURNAL_CHECKS

ATTRIBUTION = {"X-Skill-Source": "video-create", "X-Skill-Version": "1.0.0"}
TOKEN = "/api/auth/anonymous-token"
STATE = "/api/state/nemo_agent/me/*/latest"
BALANCE = "/api/credits/balance/simple"
#: real time barely moves the clock, so the gaps are the clock advances (spacing rows exact)
pytestmark = pytest.mark.nemo_mock(time_scale=1)


def _journal(nemo_mock: Any) -> list[dict[str, Any]]:
    """A token, a 429 for the same client id, a second client 31 s later, a session, two state
    queries 30 and 60 s apart, and a balance read without a token (1001)."""
    with httpx.Client(base_url=nemo_mock.url, headers=ATTRIBUTION, timeout=10.0) as http:
        assert http.post(TOKEN, headers={"X-Client-Id": "c1"}).json()["code"] == 0
        assert http.post(TOKEN, headers={"X-Client-Id": "c1"}).json()["code"] == 429
        nemo_mock.clock.advance(31)
        token = http.post(TOKEN, headers={"X-Client-Id": "c2"}).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        created = http.post(
            "/api/tasks/me/with-session/nemo_agent", headers=auth, json={"task_name": "p"}
        )
        sid = created.json()["data"]["session_id"]
        for wait in (30, 60):
            nemo_mock.clock.advance(wait)
            http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=auth)
        assert http.get(BALANCE).json()["code"] == 1001
    entries: list[dict[str, Any]] = nemo_mock.journal.entries()
    return entries


SAME = [
    # (id, expectation, does it hold on the journal above)
    ("count", {"request": {"method": "POST", "path": TOKEN}, "count": 3}, True),
    ("count-miss", {"request": {"method": "GET", "path": TOKEN}, "count": 1}, False),
    (
        "header-pair",
        {"request": {"header": {"name": "X-Client-Id", "value": "c1"}}, "count": 2},
        True,
    ),
    ("header-map", {"request": {"header": {"x-client-id": "c1"}}, "count": 2}, True),
    ("per", {"request": {"code_not": 0}, "count": 1, "per": "code"}, True),
    ("order", {"order": [{"code": 429}, {"path": "/api/tasks/*"}, {"path": STATE}]}, True),
    ("order-miss", {"order": [{"path": STATE}, {"code": 429}]}, False),
    (
        "spacing-schedule",
        {"spacing": {"requests": {"path": STATE}, "schedule": [60], "tolerance": 1}},
        True,
    ),
    ("spacing-min-miss", {"spacing": {"requests": {"path": STATE}, "min": 61}}, False),
    ("gap", {"gap": {"from": {"code": 429}, "to": {"path": TOKEN}, "min": 30}}, True),
    ("headers", {"headers": {"names": ["X-Skill-Source"], "where": {"path": "/api/*"}}}, True),
    ("same-header-miss", {"same_header": {"name": "X-Client-Id", "where": {"path": TOKEN}}}, False),
    ("distinct", {"distinct": {"field": "seq", "where": {"path": TOKEN}}}, True),
    ("sent-once", {"sent_once": {}}, True),
]


def _scenario_verdict(spec: dict[str, Any], journal: list[dict[str, Any]]) -> tuple[bool, str]:
    """The expectation written in a scenario file, evaluated by the scenario runner's code."""
    text = yaml.safe_dump(
        {
            "name": "parity",
            "title": "parity",
            "steps": [{"say": "x"}],
            "expect": [{"id": "e", "level": "SHOULD", "rule": "ASSUMPTION: parity", **spec}],
        }
    )
    (expectation,) = parse(text).expect
    step = StepRecord("step1", "say", "x", seq_to=10**9)
    verdict = evaluate(expectation, RunRecord(steps=[step], journal=journal))
    return verdict.passed, verdict.evidence


@pytest.mark.parametrize(("spec", "holds"), [pytest.param(s, h, id=i) for i, s, h in SAME])
def test_verify_expect_and_scenario_agree(nemo_mock: Any, spec: dict[str, Any], holds: bool):
    """Issue 12: one expectation engine — the same verdict and message from all three users."""
    journal = _journal(nemo_mock)
    over_http = httpx.post(f"{nemo_mock.url}/_mock/verify", json=spec, timeout=10.0)
    verdict = over_http.json()["data"]
    from_python = nemo_mock.journal.expect().check(spec)
    from_scenario = _scenario_verdict(spec, journal)
    assert verdict["ok"] is holds, verdict["message"]
    assert (from_python.ok, from_python.message) == (verdict["ok"], verdict["message"])
    assert from_scenario == (verdict["ok"], verdict["message"])


def test_fluent_expect_is_the_same_engine(nemo_mock: Any) -> None:
    """`expect().request(...).count/spaced` and `.in_order` answer what /_mock/verify answers."""
    _journal(nemo_mock)
    ex = nemo_mock.journal.expect()
    pairs = [
        (
            ex.request("post", TOKEN).check_count(exactly=3),
            {"request": {"method": "POST", "path": TOKEN}, "count": 3},
        ),
        (
            ex.request(path=STATE).check_spaced(at_least=61),
            {"request": {"path": STATE}, "spaced": {"at_least": 61}},
        ),
        (
            ex.check_in_order([("GET", STATE), ("POST", TOKEN)]),
            {"in_order": [{"method": "GET", "path": STATE}, {"method": "POST", "path": TOKEN}]},
        ),
    ]
    for result, spec in pairs:
        verdict = httpx.post(f"{nemo_mock.url}/_mock/verify", json=spec, timeout=10.0).json()
        assert (result.ok, result.message) == (verdict["data"]["ok"], verdict["data"]["message"])


def test_every_library_journal_expectation_is_a_verify_body() -> None:
    """One language: each journal expectation of the scenario library is valid for /_mock/verify."""
    validator = contracts.component_validator("control", "Expectation")
    checked = 0
    for scenario in load_library():
        for e in scenario.expect:
            if e.check in JOURNAL_CHECKS:
                assert contracts.problems(validator, e.spec) == [], (scenario.name, e.id)
                checked += 1
    assert checked > 30


MATCHERS = [
    # (id, matcher, valid in the one language)
    ("empty", {}, True),
    ("everything", {"method": "GET", "path": ["/a", "/b/*"], "path_not": "/b/c", "code": 0}, True),
    ("regex", {"path_regex": "^/api/"}, True),
    ("answer-keys", {"status": 200, "code_not": 0, "text": "hi", "fault": False}, True),
    ("header-pair", {"header": {"name": "X-A", "value": "v*"}}, True),
    ("header-pair-present", {"header": {"name": "X-A"}}, True),
    ("header-map", {"header": {"X-A": "v", "x-b": "*"}}, True),
    ("missing-header", {"missing_header": "X-Client-Id"}, True),
    ("method-star", {"method": "*"}, True),
    ("method-options", {"method": "OPTIONS"}, True),
    ("method-lower", {"method": "get"}, False),
    ("path-relative", {"path": "api/x"}, False),
    ("path-empty-list", {"path": []}, False),
    ("header-value-only", {"header": {"value": "x"}}, False),
    ("header-empty", {"header": {}}, False),
    ("header-number", {"header": {"X-A": 1}}, False),
    ("unknown-key", {"query": "x"}, False),
    ("code-string", {"code": "0"}, False),
]


@pytest.mark.parametrize(("matcher", "valid"), [pytest.param(m, v, id=i) for i, m, v in MATCHERS])
def test_scenario_matcher_schema_is_the_verify_matcher_schema(
    matcher: dict[str, Any], valid: bool
) -> None:
    """scenarios/schema.json `matcher` and control-openapi `EntryMatch` accept the same matchers."""
    import jsonschema

    scenario = jsonschema.Draft202012Validator(
        {"$ref": "#/$defs/matcher", "$defs": scenario_schema()["$defs"]}
    )
    control = contracts.component_validator("control", "EntryMatch")
    assert (scenario.is_valid(matcher), control.is_valid(matcher)) == (valid, valid)


def test_scenario_expectation_keeps_its_file_shape() -> None:
    """Scenario files keep `{name: value}` headers and the kinds they had (backwards compatible)."""
    e = Expectation.from_dict(
        {
            "id": "e",
            "level": "SHOULD",
            "rule": "ASSUMPTION: x",
            "request": {"path": "/api/*", "header": {"content-type": "application/json*"}},
        }
    )
    journal = [
        {
            "seq": 1,
            "method": "POST",
            "path": "/api/x",
            "vtime": 0.0,
            "status": 200,
            "code": 0,
            "headers": {"content-type": "application/json; charset=utf-8"},
        },
    ]
    assert evaluate(e, RunRecord(journal=journal)).passed


EXPECTATIONS = [
    # (id, journal expectation, valid in a scenario file, valid for /_mock/verify)
    ("count", {"request": {"path": "/a"}, "count": {"min": 1, "max": 2}}, True, True),
    ("per", {"request": {"path": "/a/*"}, "count": 1, "per": "path"}, True, True),
    ("order-one", {"order": [{"code": 0}]}, True, True),
    (
        "spacing",
        {"spacing": {"requests": {}, "from": {}, "schedule": [30], "tolerance": 2}},
        True,
        True,
    ),
    ("gap-tolerance", {"gap": {"from": {}, "to": {}, "min": 1, "tolerance": 1}}, True, True),
    ("sent-once-empty", {"sent_once": {}}, True, True),
    ("count-negative", {"request": {}, "count": -1}, False, False),
    ("count-empty", {"request": {}, "count": {}}, False, False),
    ("order-empty", {"order": []}, False, False),
    ("spacing-no-requests", {"spacing": {"min": 1}}, False, False),
    ("gap-negative", {"gap": {"from": {}, "to": {}, "max": -1}}, False, False),
    ("headers-no-names", {"headers": {"where": {}}}, False, False),
    ("per-alone", {"per": "path"}, False, False),
    ("no-check", {}, False, False),
    ("two-checks", {"request": {}, "order": [{}]}, False, False),
    # the older spellings and `since` are /_mock/verify's and expect()'s only
    ("in-order", {"in_order": [{"code": 0}]}, False, True),
    ("spaced", {"request": {}, "spaced": {"at_least": 30}}, False, True),
    ("since", {"request": {}, "since": 3}, False, True),
]


@pytest.mark.parametrize(
    ("spec", "in_file", "in_verify"),
    [pytest.param(s, f, v, id=i) for i, s, f, v in EXPECTATIONS],
)
def test_scenario_and_verify_schemas_agree_on_expectations(
    spec: dict[str, Any], in_file: bool, in_verify: bool
) -> None:
    """One language: a journal expectation is valid in a scenario file and for /_mock/verify
    alike (the older verify spellings aside)."""
    import jsonschema

    scenario = jsonschema.Draft202012Validator(
        {"$ref": "#/$defs/expectation", "$defs": scenario_schema()["$defs"]}
    )
    control = contracts.component_validator("control", "Expectation")
    meta = {"id": "e", "level": "SHOULD", "rule": "ASSUMPTION: x"}
    assert scenario.is_valid({**meta, **spec}) is in_file
    assert control.is_valid(spec) is in_verify
