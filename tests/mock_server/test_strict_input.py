"""Validate at the door, write strictly: hostile JSON answers 400 and never poisons an export."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from nemo_mock.server import strict_json
from tests.conftest import Api

SESSIONS = "/api/tasks/me/with-session/nemo_agent"
EXPORTS = ("/_mock/journal", "/_mock/journal.ndjson", "/_mock/journal.har", "/_mock/state")


def _post_raw(api: Api, token: str, path: str, body: bytes) -> dict[str, object]:
    headers = {**api.headers(token), "Content-Type": "application/json"}
    r = api.http.post(path, headers=headers, content=body)
    assert r.status_code < 500, r.text
    data: dict[str, object] = r.json()
    return data


def _strict(text: bytes) -> None:
    for line in text.splitlines() or [text]:
        orjson.loads(line)  # orjson refuses NaN, Infinity and lone surrogates


def _assert_exports_strict(api: Api) -> None:
    for path in EXPORTS:
        r = api.http.get(path)
        assert r.status_code == 200, (path, r.text)
        _strict(r.content)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"task_name": "\\ud800"}', id="lone-high-surrogate"),
        pytest.param(b'{"task_name": "a\\udfff"}', id="lone-low-surrogate"),
        pytest.param(b'{"task_name": "p", "language": NaN}', id="nan"),
        pytest.param(b'{"task_name": "p", "x": -Infinity}', id="infinity"),
        pytest.param(b'{"task_name": "p", "x": 1e999}', id="overflowing-number"),
        pytest.param(b'{"task_name": "\xff"}', id="invalid-utf8"),
    ],
)
def test_non_strict_json_answers_400(make_api: Callable[..., Api], body: bytes) -> None:
    """'JSON that is not strictly valid gets the documented 400 envelope'."""
    api = make_api()
    assert _post_raw(api, api.token(), SESSIONS, body)["code"] == 400


def test_exports_stay_strict_after_a_lone_surrogate(make_api: Callable[..., Api]) -> None:
    """After a lone surrogate arrived, journal, NDJSON, HAR and state still answer strict JSON."""
    api = make_api()
    token = api.token()
    _post_raw(api, token, SESSIONS, b'{"task_name": "\\ud800"}')
    _post_raw(api, token, "/run_sse", b'{"app_name": "\\udc00", "session_id": "\\ud800"}')
    _assert_exports_strict(api)


@pytest.mark.parametrize("depth", [65, 100_000])
def test_nesting_beyond_64_levels_answers_400(make_api: Callable[..., Api], depth: int) -> None:
    """'nesting beyond a documented depth' (64) answers 400, never a RecursionError 500."""
    api = make_api()
    body = b'{"task_name": "p", "x": ' + b"[" * depth + b"]" * depth + b"}"
    reply = _post_raw(api, api.token(), SESSIONS, body)
    assert reply["code"] == 400 and "64" in str(reply["message"])


def test_nesting_of_64_levels_is_accepted(make_api: Callable[..., Api]) -> None:
    """The depth limit is 64 levels: 64 are fine."""
    api = make_api()
    body = b'{"task_name": "p", "x": ' + b"[" * 63 + b"]" * 63 + b"}"
    assert _post_raw(api, api.token(), SESSIONS, body)["code"] == 0


def test_json_body_over_one_mib_answers_413_with_4002(make_api: Callable[..., Api]) -> None:
    """'413/4002 for bodies': a JSON body over 1 MiB is refused with its limit."""
    api = make_api()
    body = b'{"task_name": "' + b"a" * (1024 * 1024) + b'"}'
    r = api.http.post(SESSIONS, headers=api.headers(api.token()), content=body)
    assert r.status_code == 413
    assert r.json()["code"] == 4002 and r.json()["data"] == {"max_bytes": 1024 * 1024}


@pytest.mark.parametrize(
    "draft",
    [
        pytest.param({"t": [{"tt": 0, "sg": [{"d": 1000}]}], "d": "abc"}, id="d-string"),
        pytest.param({"t": [{"tt": 0, "sg": [{"d": "x"}]}]}, id="segment-d-string"),
        pytest.param({"t": [{"tt": "video", "sg": [{"d": 1}]}]}, id="tt-string"),
        pytest.param({"t": "tracks"}, id="t-string"),
        pytest.param({"t": [{"tt": 0, "sg": [{"d": 1}]}], "d": -5}, id="d-negative"),
        pytest.param({"t": [{"tt": 0, "sg": [{"d": 1}]}], "d": 1e300}, id="d-huge"),
        pytest.param({"t": [{"tt": 0, "sg": [{"d": 1}]}] * 101}, id="too-many-tracks"),
    ],
)
def test_draft_with_wrong_types_answers_400(make_api: Callable[..., Api], draft: object) -> None:
    """'wrong types in documented fields like a draft's d' answer 400, not a ValueError 500."""
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    body = {"id": "render_1", "sessionId": sid, "draft": draft}
    r = api.http.post("/api/render/proxy/lambda", headers=api.headers(token), json=body)
    assert r.status_code == 400 and r.json()["code"] == 400


def test_clock_advance_by_nan_answers_400_and_ndjson_stays_strict(
    make_api: Callable[..., Api],
) -> None:
    """'NDJSON lines with bare NaN': a NaN never reaches the clock, so no export carries one."""
    api = make_api()
    api.token()
    r = api.http.post("/_mock/clock/advance", content=b'{"seconds": NaN}')
    assert r.json()["code"] == 400
    r = api.http.patch("/_mock/config", json={"time_scale": "nan"})
    assert r.json()["code"] == 400
    api.token()
    _assert_exports_strict(api)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"a": "\ud800"}, id="lone-surrogate"),
        pytest.param([float("nan"), float("inf")], id="non-finite"),
        pytest.param({"n": 2**70}, id="big-int"),
    ],
)
def test_strict_dumps_always_parses_strictly(value: object) -> None:
    """Everything the emulator writes is strict JSON, whatever it holds."""
    orjson.loads(strict_json.dumps(value))
