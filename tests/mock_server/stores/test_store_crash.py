"""kill -9 in the middle of a write storm loses no acknowledged write (`sqlite:PATH`, and a
process of a shared `redis://` world)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_mock.server.stores.redis import drop_world
from tests.conftest import ATTRIBUTION
from tests.redis_server import fresh_redis

pytestmark = [pytest.mark.live, pytest.mark.slow]

ACKS_BEFORE_KILL = 300
WRITERS = 4
START_DEADLINE = 20.0


class Emulator:
    """`nemo-mock serve --store URL --port 0` in a process of its own."""

    def __init__(self, store: str) -> None:
        cmd = [sys.executable, "-m", "nemo_mock", "serve", "--port", "0", "--seed", "7"]
        cmd += ["--store", store]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.url = self._wait_ready()

    def _wait_ready(self) -> str:
        found: list[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                if line.startswith("nemo-mock serving "):
                    found.append(line.split()[2])
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(START_DEADLINE)
        if not found:
            self.proc.kill()
            pytest.fail("the emulator did not report its URL in time")
        return found[0]

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _h(token: str) -> dict[str, str]:
    return {**ATTRIBUTION, "Authorization": f"Bearer {token}"}


def _storm(url: str, token: str, user_id: str, acks: dict[str, Any], stop: threading.Event) -> None:
    """Create sessions, upload into them, top up credits; record what was acknowledged."""
    with httpx.Client(base_url=url, timeout=5.0) as c:
        while not stop.is_set():
            try:
                sid = c.post(
                    "/api/tasks/me/with-session/nemo_agent",
                    headers=_h(token),
                    json={"task_name": "t"},
                ).json()["data"]["session_id"]
                with acks["lock"]:
                    acks["sessions"].append(sid)
                body = {"urls": ["https://example.com/a.mp4"], "source_type": "url"}
                r = c.post(f"/api/upload-video/nemo_agent/me/{sid}", headers=_h(token), json=body)
                file_id = r.json()["data"]["files"][0]["file_id"]
                with acks["lock"]:
                    acks["files"].append((sid, file_id))
                total = c.post(f"/_mock/users/{user_id}/credits", json={"credits": 1}).json()[
                    "data"
                ]["total"]
                with acks["lock"]:
                    acks["total"] = max(acks["total"], total)
            except (httpx.HTTPError, ValueError, KeyError):
                return  # the emulator died under us: what was acknowledged is recorded


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A durable store URL: a SQLite file, or a fresh world on the test redis-server."""
    if request.param == "sqlite":
        yield f"sqlite:{tmp_path / 'state.db'}"
        return
    url = fresh_redis(request.getfixturevalue("redis_url"))
    yield url
    drop_world(url)


def test_kill_9_during_a_write_storm_loses_no_acknowledged_write(store: str) -> None:
    """Every write is committed before its response is sent, so kill -9 loses none."""
    first = Emulator(store)
    try:
        with httpx.Client(base_url=first.url, timeout=5.0) as c:
            user = c.post("/_mock/users", json={"credits": 0}).json()["data"]
        acks: dict[str, Any] = {"lock": threading.Lock(), "sessions": [], "files": [], "total": 0}
        stop = threading.Event()
        writers = [
            threading.Thread(
                target=_storm, args=(first.url, user["token"], user["user_id"], acks, stop)
            )
            for _ in range(WRITERS)
        ]
        for w in writers:
            w.start()
        deadline = time.monotonic() + 60.0
        while len(acks["sessions"]) + len(acks["files"]) < ACKS_BEFORE_KILL:
            assert time.monotonic() < deadline, "the storm did not reach its size in 60 s"
            time.sleep(0.01)
        first.kill9()  # writers are mid-request now
        stop.set()
        for w in writers:
            w.join(10)
    finally:
        first.stop()
    second = Emulator(store)
    try:
        with httpx.Client(base_url=second.url, timeout=5.0) as c:
            h = _h(user["token"])
            lost_sessions = [
                sid
                for sid in acks["sessions"]
                if c.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=h).json()["code"] != 0
            ]
            files: dict[str, list[str]] = {}
            for sid in {s for s, _ in acks["files"]}:
                state = c.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=h).json()
                infos = state["data"]["state"]["video_infos"] if state["code"] == 0 else []
                files[sid] = [i["file_id"] for i in infos]
            lost_files = [f for sid, f in acks["files"] if f not in files[sid]]
            balance = c.get("/api/credits/balance/simple", headers=h).json()
            total = balance["data"]["total"] if balance["code"] == 0 else -1
    finally:
        second.stop()
    assert len(acks["sessions"]) + len(acks["files"]) >= ACKS_BEFORE_KILL
    assert lost_sessions == [] and lost_files == []
    assert total >= acks["total"]
