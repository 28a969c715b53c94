"""A `nemo-mock serve` child process with a --state-file, and a write load against it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

ATTRIBUTION = {"X-Skill-Source": "video-create", "X-Skill-Version": "1", "X-Skill-Platform": "t"}
DEADLINE = 30.0


class Served:
    """`python -m nemo_mock serve --port 0 --state-file FILE` in a child process."""

    def __init__(self, state_file: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "nemo_mock", "serve", "--port", "0"]
        argv += ["--state-file", str(state_file), *extra]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self._wait_for_url()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")  # EOF

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if "serving http://" in line:
                return line.split("serving ", 1)[1].split()[0]
            if line == "":
                break
        self.proc.kill()
        raise RuntimeError("the emulator did not start")

    def output(self) -> str:
        """Everything printed until EOF (after the process ended)."""
        out = []
        while True:
            line = self.lines.get(timeout=DEADLINE)
            if line == "":
                return "".join(out)
            out.append(line)

    def signal(self, sig: int) -> int:
        """Send `sig` and wait for the exit code (bounded)."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=DEADLINE)

    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is saved at exit."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=DEADLINE)


class WriteLoad:
    """Creates sessions one after another; `acked` holds the ids whose answer arrived."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acked: list[str] = []
        self.stop = threading.Event()
        self.client = httpx.Client(base_url=url, timeout=10)
        r = self.client.post(
            "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "load"}
        )
        self.headers = {**ATTRIBUTION, "Authorization": f"Bearer {r.json()['data']['token']}"}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WriteLoad:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(DEADLINE)
        self.client.close()

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                r = self.client.post(
                    "/api/tasks/me/with-session/nemo_agent",
                    headers=self.headers,
                    json={"task_name": f"s{n}"},
                )
                self.acked.append(r.json()["data"]["session_id"])
            except (httpx.HTTPError, ValueError, KeyError):
                return  # the server went away

    def wait_for(self, count: int) -> None:
        """Until `count` writes were acknowledged (bounded)."""
        deadline = time.monotonic() + DEADLINE
        while len(self.acked) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.acked) >= count, "the write load did not get going"


def saved_sessions(state_file: Path) -> set[str]:
    """Session ids in a state file (parsed strictly)."""
    data: dict[str, Any] = orjson.loads(state_file.read_bytes())
    return {s["id"] for s in data["sessions"]}
