"""The World on `sqlite:PATH`: each acknowledged write is in the file before its response, and a
restarted emulator gives back everything (DESIGN §4 State; issue 19)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nemo_mock.server.cli import build_parser, settings_from_args
from nemo_mock.server.settings import SettingsError
from nemo_mock.server.stores import StoreError, detach, kept_of
from nemo_mock.server.stores import kept as kept_module
from tests.conftest import Api, make_settings

UPLOAD = "/api/upload-video/nemo_agent/me/{}"


def rows_in_file(path: Path, kind: str) -> dict[str, Any]:
    """The rows of `kind`, read from the file by a connection of our own (not the store's)."""
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT key, value FROM kept WHERE kind = ?", (kind,)).fetchall()
    return {key: json.loads(value) for key, value in found}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def only_the_middleware_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    """No background flush: what is in the file got there through the response path."""
    monkeypatch.setattr(kept_module.Kept, "_schedule", lambda self: None)


@pytest.fixture
def open_api(db: Path) -> Iterator[Any]:
    """`open_api()` starts an emulator on the file; the previous one is shut down first."""
    running: list[Api] = []

    def start(**overrides: Any) -> Api:
        for old in running:
            detach(old.world)
        running.clear()
        api = Api(make_settings(store=f"sqlite:{db}", **overrides))
        running.append(api)
        return api

    yield start
    for old in running:
        detach(old.world)


@pytest.mark.usefixtures("only_the_middleware_commits")
def test_a_minted_token_is_in_the_file_when_the_answer_arrives(open_api: Any, db: Path) -> None:
    """Every write is committed before its response is sent."""
    api = open_api()
    token = api.token("c1")
    assert rows_in_file(db, "token")[token]["client_id"] == "c1"


@pytest.mark.usefixtures("only_the_middleware_commits")
def test_an_upload_is_in_the_file_when_the_answer_arrives(open_api: Any, db: Path) -> None:
    """An upload answered with its file id is in the session row already."""
    api = open_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    r = api.http.post(
        UPLOAD.format(sid), headers=api.headers(token), files={"files": ("a.mp4", b"x")}
    )
    file_id = r.json()["data"]["files"][0]["file_id"]
    infos = rows_in_file(db, "session")[sid]["video_infos"]
    assert [i["file_id"] for i in infos] == [file_id]


@pytest.mark.usefixtures("only_the_middleware_commits")
def test_a_credit_top_up_is_in_the_file_when_the_answer_arrives(open_api: Any, db: Path) -> None:
    """Credits changed through the control plane are committed before the answer."""
    api = open_api()
    user = api.http.post("/_mock/users", json={"credits": 10}).json()["data"]
    api.http.post(f"/_mock/users/{user['user_id']}/credits", json={"credits": 5})
    assert rows_in_file(db, "user")[user["user_id"]]["total"] == 15


def test_a_restarted_emulator_gives_back_what_clients_saw(open_api: Any) -> None:
    """Restart restores everything: tokens, sessions with drafts, credits, renders, faults."""
    api = open_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    draft = api.world.sessions[sid].draft
    user_id = api.world.tokens[token].user_id
    api.http.post(f"/_mock/users/{user_id}/credits", json={"total": 70})
    job = {"id": "render_1", "sessionId": sid, "draft": draft}
    assert (
        api.http.post("/api/render/proxy/lambda", headers=api.headers(token), json=job).json()[
            "code"
        ]
        == 0
    )
    api.http.post("/_mock/faults", json={"match": {"path": "/never"}, "action": {"type": "drop"}})
    api.http.post("/_mock/clock/advance", json={"seconds": 200})
    again = open_api()
    h = again.headers(token)
    state = again.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=h).json()["data"]
    assert state["state"]["draft"] == draft
    balance = again.http.get("/api/credits/balance/simple", headers=h).json()["data"]
    assert balance == {"available": 70, "frozen": 0, "total": 70}
    status = again.http.get("/api/render/proxy/lambda/render_1", headers=h).json()["data"]
    assert status["status"] == "completed"
    assert [
        r["match"]["path"] for r in again.http.get("/_mock/faults").json()["data"]["rules"]
    ] == ["/never"]


def test_frozen_credits_survive_a_restart(open_api: Any) -> None:
    """Credits held by a running turn are still held after a restart (available + frozen)."""
    api = open_api()
    token = api.token()
    user = api.world.users[api.world.tokens[token].user_id]
    api.world.freeze(user, 40)
    api.http.get("/_mock/health")  # any exchange commits what is pending
    again = open_api()
    balance = again.http.get("/api/credits/balance/simple", headers=again.headers(token)).json()
    assert balance["data"] == {"available": 60, "frozen": 40, "total": 100}


def test_the_mint_limit_survives_a_restart(open_api: Any) -> None:
    """1 token per client id per 7 days holds across a restart (the mint log is kept)."""
    api = open_api()
    api.token("same-client")
    again = open_api()
    r = again.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "same-client"})
    assert r.status_code == 429


def test_the_clock_and_id_counters_resume_after_a_restart(open_api: Any) -> None:
    """Virtual time and id counters continue where they were (no id is handed out twice)."""
    api = open_api()
    first = api.session(api.token())["session_id"]
    api.http.post("/_mock/clock/advance", json={"seconds": 3600})
    before = api.world.clock.now()
    again = open_api()
    assert again.world.clock.now() == before
    second = again.session(again.token("another-client"))["session_id"]
    assert second != first and len(again.world.sessions) == 2


def test_reset_empties_the_file(open_api: Any, db: Path) -> None:
    """POST /_mock/reset forgets all state, in the store too."""
    api = open_api()
    api.session(api.token())
    api.http.post("/_mock/reset")
    assert rows_in_file(db, "session") == {} and rows_in_file(db, "token") == {}


def test_a_restored_snapshot_replaces_the_file(open_api: Any, db: Path) -> None:
    """PUT /_mock/state replaces what the store keeps."""
    api = open_api()
    api.session(api.token())
    snap = api.http.get("/_mock/state").json()["data"]
    api.http.post("/_mock/reset")
    api.token("other")
    assert api.http.put("/_mock/state", json=snap).json()["code"] == 0
    assert set(rows_in_file(db, "session")) == {s["id"] for s in snap["sessions"]}
    assert {t["client_id"] for t in rows_in_file(db, "token").values()} == {"client-1"}


def test_polled_reads_write_nothing_before_answering(
    open_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads never touch the disk: a poll's last_active is a soft change, written later."""
    monkeypatch.setattr(kept_module, "SOFT_DELAY", 3600.0)
    api = open_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    kept = kept_of(api.world)
    assert kept is not None
    before = kept.writes
    for path in (f"/api/state/nemo_agent/me/{sid}/latest", "/api/credits/balance/simple") * 10:
        assert api.http.get(path, headers=api.headers(token)).json()["code"] == 0
    assert kept.writes == before


def test_a_second_emulator_on_the_same_file_is_refused(open_api: Any, db: Path) -> None:
    """One process owns a sqlite store: a second would keep a stale copy of the state."""
    open_api()
    with pytest.raises(StoreError, match="in use"):
        Api(make_settings(store=f"sqlite:{db}"))


def test_serve_takes_the_store_flag() -> None:
    """`nemo-mock serve --store sqlite:PATH` selects the store."""
    args = build_parser().parse_args(["serve", "--store", "sqlite:/tmp/x.db"])
    assert settings_from_args(args).store == "sqlite:/tmp/x.db"


def test_an_unknown_store_is_a_settings_error() -> None:
    """A store URL of no known scheme is refused before anything starts."""
    args = build_parser().parse_args(["serve", "--store", "postgres://x"])
    with pytest.raises(SettingsError, match="store must be"):
        settings_from_args(args)


def test_a_store_with_state_wins_over_an_older_state_file(
    open_api: Any, db: Path, tmp_path: Path
) -> None:
    """With --store and --state-file, the store (written before each answer) is restored."""
    from nemo_mock.server.snapshot import dump_world, write_atomic

    state_file = tmp_path / "state.json"
    older = Api(make_settings())
    older.token("stale-client")
    write_atomic(state_file, dump_world(older.world))
    api = open_api()
    api.token("kept-client")
    again = open_api(state_file=str(state_file))
    assert [t.client_id for t in again.world.tokens.values()] == ["kept-client"]


@pytest.mark.parametrize("how", ["del", "pop", "popitem", "clear"])
def test_a_removed_entity_leaves_the_file(open_api: Any, db: Path, how: str) -> None:
    """However an entity leaves a World table, its row leaves the store."""
    api = open_api()
    sid = api.session(api.token())["session_id"]
    sessions = api.world.sessions
    if how == "del":
        del sessions[sid]
    elif how == "pop":
        sessions.pop(sid)
    elif how == "popitem":
        sessions.popitem()
    else:
        sessions.clear()
    api.http.get("/_mock/health")  # any exchange commits what is pending
    assert rows_in_file(db, "session") == {}


@pytest.mark.parametrize("how", ["setitem", "setdefault", "update"])
def test_an_added_entity_reaches_the_file(open_api: Any, db: Path, how: str) -> None:
    """However an entity enters a World table, its row reaches the store."""
    api = open_api()
    sid = api.session(api.token())["session_id"]
    session = api.world.sessions.pop(sid)
    session.id = "copy"
    if how == "setitem":
        api.world.sessions["copy"] = session
    elif how == "setdefault":
        api.world.sessions.setdefault("copy", session)
    else:
        api.world.sessions.update({"copy": session})
    session.name = "renamed after insertion"
    api.http.get("/_mock/health")
    rows = rows_in_file(db, "session")
    assert set(rows) == {"copy"} and rows["copy"]["name"] == "renamed after insertion"


def test_an_entity_forgotten_by_a_reset_stays_out_of_the_file(open_api: Any, db: Path) -> None:
    """After a reset, a change to an old session (a turn still running) is not written back."""
    api = open_api()
    sid = api.session(api.token())["session_id"]
    old = api.world.sessions[sid]
    api.http.post("/_mock/reset")
    api.world.change(old, name="changed after the reset")
    api.http.get("/_mock/health")
    assert rows_in_file(db, "session") == {}
