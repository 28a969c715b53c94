"""The envelope and the error catalogue, in both error_status modes."""

from __future__ import annotations

import json

import pytest

import contracts
from mock_server.errors import ApiError, envelope_bytes, error_response
from tests.conftest import Api


def test_envelope_bytes_are_compact_utf8_json() -> None:
    """{"code","message","data"}, compact, non-ASCII kept."""
    assert (
        envelope_bytes(0, "成功", {"a": 1}) == '{"code":0,"message":"成功","data":{"a":1}}'.encode()
    )


@pytest.mark.parametrize(
    ("code", "body", "http"),
    [
        (1001, 200, 401),
        (1002, 200, 404),
        (2001, 200, 402),
        (4001, 200, 415),
        (4002, 200, 413),
        (400, 400, 400),
        (402, 402, 402),
        (404, 404, 404),
        (429, 429, 429),
    ],
)
def test_http_status_per_mode_follows_the_catalogue(code: int, body: int, http: int) -> None:
    """error_status body: app codes ride on 200; http: app codes are mapped too."""
    exc = ApiError(code)
    assert (error_response(exc, "body").status_code, error_response(exc, "http").status_code) == (
        body,
        http,
    )
    assert json.loads(error_response(exc, "http").body)["code"] == code


def test_unknown_code_is_refused() -> None:
    """Handlers raise only catalogue codes."""
    with pytest.raises(ValueError):
        ApiError(1234)


def test_unknown_path_answers_404_envelope(api: Api) -> None:
    """Unknown routes answer in the envelope too."""
    r = api.http.get("/api/nope")
    assert (r.status_code, r.json()) == (
        404,
        {"code": 404, "message": "No such endpoint.", "data": None},
    )


def test_wrong_method_answers_405_envelope(api: Api) -> None:
    """ASSUMPTION: a wrong method answers 405 in the envelope."""
    r = api.http.get("/api/auth/anonymous-token")
    assert (r.status_code, r.json()["code"]) == (405, 405)


def test_every_catalogue_code_has_an_action() -> None:
    """The catalogue tells the client what to do for every code."""
    assert all(spec.action for spec in contracts.errors().values())


def test_mode_switches_at_run_time(make_api) -> None:  # type: ignore[no-untyped-def]
    """PATCH /_mock/config {"error_status": "http"} switches the mode."""
    api = make_api()
    assert api.http.get("/api/credits/balance/simple").status_code == 200
    api.http.patch("/_mock/config", json={"error_status": "http"})
    assert api.http.get("/api/credits/balance/simple").status_code == 401
