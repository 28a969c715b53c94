"""`nemo-mock serve --workers N`: N processes on one port, one world (issue #19)."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from nemo_mock.server.stores.redis import drop_world
from tests.redis_server import fresh_redis

pytestmark = [pytest.mark.live, pytest.mark.slow]
ATTRIBUTION = {"X-Skill-Source": "video-create", "X-Skill-Version": "1.0.0"}
WAIT = 60.0


class Served:
    """`nemo-mock serve … --workers 2` as a process of this test."""

    def __init__(self, *args: str) -> None:
        cmd = [sys.executable, "-m", "nemo_mock", "serve", "--port", "0", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)
            lines.put("")

        threading.Thread(target=pump, daemon=True).start()
        self.url = ""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if "nemo-mock serving " in line:
                self.url = line.split("nemo-mock serving ", 1)[1].split()[0]
                break
            if not line:
                break

    def get(self, path: str, **kw: Any) -> httpx.Response:
        """One request on a connection of its own (so the kernel may pick either worker)."""
        with httpx.Client(base_url=self.url, timeout=20.0) as http:
            return http.get(path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        with httpx.Client(base_url=self.url, timeout=20.0) as http:
            return http.post(path, **kw)

    def workers(self) -> set[int]:
        """PIDs of the workers that served the journalled requests."""
        entries = self.get("/_mock/journal").json()["data"]["entries"]
        return {int(str(e["worker"]).split(".")[0]) for e in entries}

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(30)


@pytest.fixture
def served(redis_url: str) -> Iterator[Served]:
    url = fresh_redis(redis_url)
    s = Served("--store", url, "--workers", "2", "--set", "tokens_per_ip=1000")
    try:
        assert s.url, "serve --workers 2 did not come up"
        yield s
    finally:
        s.stop()
        drop_world(url)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_workers_serve_one_world(served: Served) -> None:
    """Connections go to both workers, and a token minted on one works on every connection."""
    tokens = []
    for n in range(40):
        r = served.post(
            "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": f"c{n}"}
        )
        tokens.append(r.json()["data"]["token"])
    assert len(served.workers()) == 2
    for token in tokens[:10]:
        r = served.get(
            "/api/credits/balance/simple",
            headers={**ATTRIBUTION, "Authorization": f"Bearer {token}"},
        )
        assert r.json()["code"] == 0


def test_a_killed_worker_is_replaced(served: Served) -> None:
    """kill -9 of a worker: the supervisor starts another; the world is still there."""
    r = served.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "c1"})
    token = r.json()["data"]["token"]
    for n in range(30):
        served.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": f"x{n}"})
    victim = min(served.workers())
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            served.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "y"})
        if len(served.workers() - {victim}) == 2:
            break
        time.sleep(0.2)
    assert len(served.workers() - {victim}) == 2, "no replacement worker served a request"
    h = {**ATTRIBUTION, "Authorization": f"Bearer {token}"}
    assert served.get("/api/credits/balance/simple", headers=h).json()["code"] == 0


def test_sigterm_stops_every_worker(served: Served) -> None:
    """SIGTERM to `serve` stops it and each worker (by PID), exit status 0."""
    for n in range(20):
        served.post("/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": f"c{n}"})
    pids = served.workers()
    assert served.stop() == 0
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


@pytest.mark.parametrize("store", ["memory", "sqlite:x.db"])
def test_workers_need_a_shared_store(store: str, tmp_path: Any) -> None:
    """--workers 2 with a store of one process is refused (exit 2, naming redis://)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nemo_mock",
            "serve",
            "--port",
            "0",
            "--store",
            store,
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=WAIT,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "redis://" in done.stderr
