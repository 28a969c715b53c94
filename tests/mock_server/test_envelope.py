"""The envelope and the error catalogue, in both error_status modes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemo_mock import contracts
from nemo_mock.server.errors import ApiError, envelope_bytes, error_response, json_bytes
from tests.conftest import Api


def test_envelope_bytes_are_compact_utf8_json() -> None:
    """{"code","message","data"}, compact, non-ASCII kept."""
    assert (
        envelope_bytes(0, "成功", {"a": 1}) == '{"code":0,"message":"成功","data":{"a":1}}'.encode()
    )


def _stdlib(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


# What the emulator puts in answers: text (no lone surrogates: not UTF-8), 64-bit integers,
# booleans, null, lists and string-keyed objects. Floats are left out of the byte comparison:
# orjson writes 1e16 where the standard library writes 1e+16 (the same number either way).
_TEXT = st.text(st.characters(exclude_categories=("Cs",)))
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(_VALUES)
def test_json_bytes_writes_what_the_standard_library_writes(value: object) -> None:
    """Byte for byte: compact separators, text unescaped, control characters escaped alike."""
    assert json_bytes(value) == _stdlib(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_json_bytes_floats_read_back_as_the_same_number(value: float) -> None:
    assert json.loads(json_bytes({"v": value})) == {"v": value}


@pytest.mark.parametrize("value", [{1: "int key"}, {"big": 2**70}, [-(2**64)]])
def test_what_orjson_refuses_is_written_by_the_standard_library(value: object) -> None:
    """Keys that are not strings and integers beyond 64 bits still encode, as the stdlib does."""
    assert json_bytes(value) == _stdlib(value)


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
