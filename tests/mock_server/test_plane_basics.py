"""Control plane basics: health, reset, clock, advance, config, journal (DESIGN §5)."""

from __future__ import annotations

from tests.conftest import CLOCK_START, Api


def test_health_reports_seed_and_clock(api: Api) -> None:
    """GET /_mock/health."""
    data = api.http.get("/_mock/health").json()["data"]
    assert data["status"] == "ok" and data["seed"] == 1234 and data["clock"]["now"] == CLOCK_START


def test_advance_moves_the_virtual_clock(api: Api) -> None:
    """POST /_mock/clock/advance {"seconds": n}."""
    r = api.http.post("/_mock/clock/advance", json={"seconds": 3600})
    assert r.json()["data"]["now"] == CLOCK_START + 3600
    assert api.http.get("/_mock/clock").json()["data"]["now"] == CLOCK_START + 3600


def test_advance_refuses_negative_or_missing_seconds(api: Api) -> None:
    """The clock never goes backwards; bad input answers 400."""
    for body in ({"seconds": -1}, {}, {"seconds": "10"}, {"seconds": True}):
        assert api.http.post("/_mock/clock/advance", json=body).json()["code"] == 400


def test_advance_expires_a_token(api: Api) -> None:
    """A 7-day expiry is testable in milliseconds."""
    token = api.token()
    api.http.post("/_mock/clock/advance", json={"seconds": 604800})
    assert (
        api.http.get("/api/credits/balance/simple", headers=api.headers(token)).json()["code"]
        == 1001
    )


def test_reset_forgets_tokens_and_journal(api: Api) -> None:
    """POST /_mock/reset."""
    token = api.token()
    api.http.post("/_mock/reset")
    assert (
        api.http.get("/api/credits/balance/simple", headers=api.headers(token)).json()["code"]
        == 1001
    )
    assert len(api.http.get("/_mock/journal").json()["data"]["entries"]) == 1


def test_config_patch_changes_a_setting(api: Api) -> None:
    """PATCH /_mock/config changes settings at run time."""
    r = api.http.patch("/_mock/config", json={"silent_close_rate": 0.5})
    assert r.json()["data"]["silent_close_rate"] == 0.5 == api.world.settings.silent_close_rate


def test_config_patch_rejects_unknown_and_bad_values(api: Api) -> None:
    """Bad settings answer 400 with the reason; nothing changes."""
    for body in ({"nope": 1}, {"error_status": "x"}, {"port": 1}):
        r = api.http.patch("/_mock/config", json=body)
        assert r.json()["code"] == 400 and r.json()["message"]
    assert api.world.settings.error_status in ("body", "http")


def test_journal_filters_over_http(api: Api) -> None:
    """GET /_mock/journal?method=&path=&code=&since=."""
    api.token()
    api.http.post("/api/auth/anonymous-token")
    data = api.http.get("/_mock/journal", params={"code": 400}).json()["data"]
    assert [e["code"] for e in data["entries"]] == [400]


def test_journal_ndjson_over_http(api: Api) -> None:
    """GET /_mock/journal.ndjson."""
    api.token()
    r = api.http.get("/_mock/journal.ndjson")
    assert r.headers["content-type"].startswith("application/x-ndjson") and r.text.count("\n") == 1


def test_journal_delete_clears(api: Api) -> None:
    """DELETE /_mock/journal."""
    api.token()
    api.http.delete("/_mock/journal")
    assert api.http.get("/_mock/journal").json()["data"]["count"] == 0
