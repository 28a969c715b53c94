"""An agent turn on `sqlite:PATH`: a state change is committed before the frame announcing it."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_mock.server.serving import LiveServer
from nemo_mock.server.stores import kept as kept_module
from tests.conftest import ATTRIBUTION, make_settings

pytestmark = pytest.mark.live

STREAM_DEADLINE = 15.0


def row(path: Path, kind: str, key: str) -> dict[str, Any]:
    """One row, read from the file by a connection of our own."""
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT value FROM kept WHERE kind = ? AND key = ?", (kind, key))
        value = found.fetchone()
    assert value is not None, f"no {kind} row {key!r} in the file"
    result: dict[str, Any] = json.loads(value[0])
    return result


def test_a_turns_state_change_is_in_the_file_before_its_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """State changes land with the functionResponse, committed before that frame is sent."""
    monkeypatch.setattr(kept_module.Kept, "_schedule", lambda self: None)  # only the send path
    db = tmp_path / "state.db"
    settings = make_settings(store=f"sqlite:{db}", time_scale=3000.0)
    with LiveServer(settings) as live, httpx.Client(base_url=live.url, timeout=10.0) as c:
        user = c.post("/_mock/users", json={"credits": 10_000}).json()["data"]
        h = {**ATTRIBUTION, "Authorization": f"Bearer {user['token']}"}
        sid = c.post(
            "/api/tasks/me/with-session/nemo_agent", headers=h, json={"task_name": "t"}
        ).json()["data"]["session_id"]
        seen: list[tuple[int, int]] = []  # (draft_version announced, version in the file)
        timer = threading.Timer(STREAM_DEADLINE, c.close)  # a hung stream fails, not hangs
        timer.start()
        try:
            body = {
                "app_name": "nemo_agent",
                "user_id": "me",
                "session_id": sid,
                "new_message": {"parts": [{"text": "generate a video of a city at night"}]},
            }
            with c.stream("POST", "/run_sse", headers=h, json=body) as r:
                for line in r.iter_lines():
                    if not line.startswith("data: {"):
                        continue
                    delta = json.loads(line[6:]).get("actions", {}).get("stateDelta", {})
                    if "draft_version" in delta:
                        seen.append((delta["draft_version"], row(db, "session", sid)["version"]))
        finally:
            timer.cancel()
        spent = row(db, "user", user["user_id"])
    assert seen, "the turn announced no state change"
    assert all(in_file >= announced for announced, in_file in seen), seen
    assert spent["frozen"] == 0 and spent["total"] < 10_000
