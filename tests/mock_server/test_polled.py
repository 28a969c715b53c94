"""The fast path for polled reads answers exactly as the ordinary route does."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from nemo_mock.server import polled
from tests.conftest import Api

DRAFT = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 4000, "m": {"name": "c"}}]}], "d": 4000}


def _both(api: Api, path: str, headers: dict[str, str]) -> tuple[Any, Any]:
    """The same GET answered by the fast path, then (with a no-op fault rule) by the route."""
    fast = api.http.get(path, headers=headers)
    api.world.faults.add({"match": {"path": "/nothing"}, "action": {"type": "delay", "seconds": 0}})
    routed = api.http.get(path, headers=headers)
    api.world.faults.clear()
    return fast, routed


def _paths(api: Api) -> dict[str, tuple[str, dict[str, str]]]:
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    api.http.post(
        "/api/render/proxy/lambda",
        headers=api.headers(token),
        json={"id": "render_7", "sessionId": sid, "draft": DRAFT},
    )
    api.advance(120)
    good, other = api.headers(token), api.headers(api.token())
    return {
        "credits": ("/api/credits/balance/simple", good),
        "credits-no-token": ("/api/credits/balance/simple", {}),
        "state": (f"/api/state/nemo_agent/me/{sid}/latest", good),
        "state-foreign": (f"/api/state/nemo_agent/me/{sid}/latest", other),
        "render-completed": ("/api/render/proxy/lambda/render_7", good),
        "render-unknown": ("/api/render/proxy/lambda/nope", good),
    }


@pytest.mark.parametrize(
    "case",
    ["credits", "credits-no-token", "state", "state-foreign", "render-completed", "render-unknown"],
)
def test_fast_path_matches_the_route_byte_for_byte(api: Api, case: str) -> None:
    """Status, headers and body are identical on both paths, in both error_status modes."""
    path, headers = _paths(api)[case]
    fast, routed = _both(api, path, headers)
    assert fast.status_code == routed.status_code
    assert fast.content == routed.content
    assert fast.headers.raw == routed.headers.raw  # names, values and order


def test_fast_path_answers_are_journalled_like_any_other(api: Api) -> None:
    """The journal records status and code for polled reads too."""
    api.http.get("/api/credits/balance/simple")
    e = api.world.journal.query({"path": "/api/credits/balance/simple"})[-1]
    assert (e["status"], e["code"], e["content_type"]) == (
        api.http.get("/api/credits/balance/simple").status_code,
        1001,
        "application/json",
    )


def test_fault_rules_apply_to_polled_reads(make_api) -> None:  # type: ignore[no-untyped-def]
    """With a fault rule installed, the polled reads take the route and the fault applies."""
    api = make_api()
    api.world.faults.add(
        {"match": {"path": "/api/credits/*"}, "action": {"type": "error", "code": 429}}
    )
    assert api.http.get("/api/credits/balance/simple").json()["code"] == 429


def test_polled_reads_take_the_fast_path_unless_a_fault_rule_exists(
    make_api, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The fast path answers a plain GET; HEAD and any request under fault rules skip it."""
    api = make_api()
    calls: list[str] = []
    real = polled.answer

    def spy(world: Any, scope: Any, *rest: Any) -> Any:
        calls.append(scope["path"])
        return real(world, scope, *rest)

    monkeypatch.setattr(polled, "answer", spy)
    token = api.token()
    assert api.http.get(polled.CREDITS, headers=api.headers(token)).json()["code"] == 0
    assert calls == [polled.CREDITS]
    api.http.head(polled.CREDITS, headers=api.headers(token))
    api.world.faults.add({"match": {"path": "/nothing"}, "action": {"type": "delay", "seconds": 0}})
    assert api.http.get(polled.CREDITS, headers=api.headers(token)).json()["code"] == 0
    assert calls == [polled.CREDITS]


@pytest.mark.breaks_contract  # a 500 is an emulator bug: no operation documents it
def test_an_emulator_bug_on_the_fast_path_still_answers_the_500_envelope(
    make_api, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A crash while answering falls to the route: its handler answers code 500, journalled once."""
    api = make_api()

    def broken(authorization: str | None) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api.world, "authenticate", broken)
    http = TestClient(api.app, raise_server_exceptions=False)
    r = http.get(polled.CREDITS)
    assert (r.status_code, r.json()["code"]) == (500, 500)
    assert "RuntimeError" in r.json()["message"]
    assert len(api.world.journal.query({"path": polled.CREDITS})) == 1
