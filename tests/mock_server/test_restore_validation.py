"""A restore is validated in full before anything is replaced; a bad one changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from nemo_mock.cli import main
from tests.conftest import Api


def _populated(make_api: Callable[..., Api]) -> tuple[Api, dict[str, Any]]:
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    snap: dict[str, Any] = api.http.get("/_mock/state").json()["data"]
    return api, snap


def _bad(snap: dict[str, Any], how: str) -> bytes:
    s = copy.deepcopy(snap)
    if how == "fault-action":
        s["faults"] = {"next": 1, "rules": [{"id": "r1", "action": {"type": "explode"}}]}
    elif how == "wrong-type":
        s["users"][0]["total"] = "lots"
    elif how == "dangling-session-user":
        s["sessions"][0]["user_id"] = "usr_nobody"
    elif how == "dangling-token-user":
        s["tokens"][0]["user_id"] = "usr_nobody"
    elif how == "bad-draft":
        s["sessions"][0]["draft"]["t"] = [{"tt": "x", "sg": []}]
    elif how == "frozen-over-total":
        s["users"][0]["frozen"] = s["users"][0]["total"] + 1
    elif how == "missing-clock":
        del s["clock"]
    body = orjson.dumps(s)
    if how == "nan-clock":
        body = body.replace(b'"now":', b'"now":NaN,"was":', 1)
    if how == "bad-utf8":
        body = body.replace(b'"users"', b'"us\xffers"', 1)
    return body


WHERE = {
    "fault-action": "faults.rules",
    "wrong-type": "users[0].total",
    "dangling-session-user": "sessions[0].user_id",
    "dangling-token-user": "tokens[0].user_id",
    "bad-draft": "sessions[0].draft.t[0].tt",
    "frozen-over-total": "users[0].frozen",
    "missing-clock": "clock",
    "nan-clock": "not valid JSON",
    "bad-utf8": "not valid JSON",
}


@pytest.mark.parametrize("how", sorted(WHERE))
def test_rejected_put_state_changes_nothing_and_says_where(
    make_api: Callable[..., Api], how: str
) -> None:
    """'an invalid file or body changes nothing and says exactly what is wrong' (400 envelope)."""
    api, snap = _populated(make_api)
    r = api.http.put("/_mock/state", content=_bad(snap, how))
    assert r.status_code == 400 and r.json()["code"] == 400
    assert WHERE[how] in r.json()["message"]
    assert api.http.get("/_mock/state").json()["data"] == snap


def test_valid_put_state_still_restores(make_api: Callable[..., Api]) -> None:
    """The validation accepts what GET /_mock/state answers."""
    _, snap = _populated(make_api)
    fresh = make_api()
    assert fresh.http.put("/_mock/state", json=snap).json()["code"] == 0
    assert fresh.http.get("/_mock/state").json()["data"] == snap


@pytest.mark.parametrize("how", ["bad-utf8", "fault-action", "dangling-session-user", "nan-clock"])
def test_bad_state_file_exits_2_with_the_reason(
    make_api: Callable[..., Api],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    """'exit 2 for the CLI' with the message; the file is left as it was."""
    _, snap = _populated(make_api)
    path = tmp_path / "state.json"
    path.write_bytes(_bad(snap, how))
    before = path.read_bytes()
    code = main(["serve", "--port", "0", "--state-file", str(path)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(path) in err and WHERE[how] in err and "Traceback" not in err
    assert path.read_bytes() == before
