"""The exception tree and envelope decoding in both error_status modes (client/_errors.py)."""

from __future__ import annotations

import httpx
import pytest

from nemo_mock import contracts
from nemo_mock.client import (
    ApiError,
    BadRequest,
    ExportBlocked,
    FileTooLarge,
    NemoError,
    NoCredits,
    NotFound,
    RateLimited,
    SessionNotFound,
    TokenInvalid,
    UnsupportedFile,
)
from nemo_mock.client._api import decode

BY_CODE = {
    1001: TokenInvalid,
    1002: SessionNotFound,
    2001: NoCredits,
    4001: UnsupportedFile,
    4002: FileTooLarge,
    400: BadRequest,
    402: ExportBlocked,
    404: NotFound,
    429: RateLimited,
}


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_envelope_code_decides_in_both_modes(code: int, mode: str) -> None:
    """Always decide by the envelope's code when a JSON envelope is present (body and http)."""
    status = contracts.errors()[code].http_status(mode)
    response = httpx.Response(status, json={"code": code, "message": "m", "data": None})
    with pytest.raises(BY_CODE[code]) as info:
        decode(response)
    assert (info.value.code, info.value.status) == (code, status)
    assert isinstance(info.value, ApiError) and isinstance(info.value, NemoError)
    assert info.value.hint  # every error says what to do


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, TokenInvalid),
        (402, ExportBlocked),
        (404, NotFound),
        (413, FileTooLarge),
        (415, UnsupportedFile),
        (400, BadRequest),
        (429, RateLimited),
    ],
)
def test_http_status_decides_without_an_envelope(status: int, error: type[ApiError]) -> None:
    """Fall back to the HTTP status when no JSON envelope is present."""
    with pytest.raises(error):
        decode(httpx.Response(status, text="<html>nope</html>"))


def test_envelope_beats_http_status() -> None:
    """HTTP 404 carrying code 1002 is a lost session, not an unknown route."""
    with pytest.raises(SessionNotFound):
        decode(httpx.Response(404, json={"code": 1002, "message": "gone", "data": None}))


def test_success_returns_data() -> None:
    """code 0 is success: the caller gets data."""
    assert decode(httpx.Response(200, json={"code": 0, "message": "", "data": {"a": 1}})) == {
        "a": 1
    }


def test_no_credits_carries_bind_id() -> None:
    """2001 for an anonymous user carries data.bind_id for the registration URL."""
    body = {"code": 2001, "message": "", "data": {"bind_id": "task_9"}}
    with pytest.raises(NoCredits) as info:
        decode(httpx.Response(200, json=body))
    assert info.value.bind_id == "task_9"


def test_non_envelope_success_is_an_error() -> None:
    """A 200 that is not an envelope is not silently accepted."""
    with pytest.raises(ApiError):
        decode(httpx.Response(200, text="hello"))


def test_export_blocked_hint_is_not_about_credits() -> None:
    """402: "Register or upgrade your plan to unlock export." (not a credits problem)."""
    err = ExportBlocked(code=402, status=402)
    assert "credit" not in err.default_hint.lower()
