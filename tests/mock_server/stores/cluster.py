"""Emulator processes sharing one world through Redis, behind our round-robin balancer.

Each worker is `nemo-mock serve --store redis://… --port 0` in a process of its own (what a
host behind a load balancer runs); the balancer (in this process) sends request i to worker
i mod N, so consecutive requests of one client land on different processes.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO

from nemo_mock.server.balancer import RoundRobin
from nemo_mock.server.serving import LiveServer
from nemo_mock.server.stores.redis import drop_world

START_SECONDS = 60.0


def _first_url(stream: IO[str], found: queue.Queue[str]) -> None:
    for line in stream:
        if "nemo-mock serving " in line:
            found.put(line.split("nemo-mock serving ", 1)[1].split()[0])
    found.put("")


class Cluster:
    """N `nemo-mock serve` processes on one redis:// world, and a balancer in front."""

    def __init__(self, store: str, workers: int = 2, args: Sequence[str] = ()) -> None:
        self.store = store
        self.procs: list[subprocess.Popen[str]] = []
        self.urls: list[str] = []
        for _ in range(workers):
            cmd = [sys.executable, "-m", "nemo_mock", "serve", "--port", "0"]
            cmd += ["--store", store, *args]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            self.procs.append(proc)
            assert proc.stdout is not None
            found: queue.Queue[str] = queue.Queue()
            threading.Thread(target=_first_url, args=(proc.stdout, found), daemon=True).start()
            try:
                url = found.get(timeout=START_SECONDS)
            except queue.Empty:
                url = ""
            if not url:
                self.stop()
                raise RuntimeError(f"worker {len(self.procs)} did not start: {cmd}")
            self.urls.append(url)
        self.balancer = RoundRobin(self.urls)
        self.front = LiveServer(app=self.balancer)
        self.url = self.front.start()

    def stop(self) -> None:
        """Stop the balancer and every worker (by PID), then delete the world's keys."""
        if getattr(self, "front", None) is not None:
            self.front.stop()
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(15)
        drop_world(self.store)
