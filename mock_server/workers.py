"""`nemo-mock serve --workers N`: N emulator processes on one listening socket, one shared world.

The parent binds the socket, prepares the world in the store once (the `--scenario`/`--replay`
fault rules), then starts N workers (`python -m nemo_mock.server.workers`) that inherit the
socket: the kernel hands each new connection to one of them. Every worker opens the same
`redis://` store, so they share tokens, sessions, credits, renders, the clock, fault rules and the
journal (mock_server/stores/shared.py). The parent restarts a worker that dies, and on Ctrl-C or
SIGTERM stops them all by their PIDs (SIGTERM, then SIGKILL after a bound).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from nemo_mock.server.settings import Settings, SettingsError

log = logging.getLogger("nemo_mock")

ENV = "NEMO_MOCK_WORKER"  # JSON: {"settings": {...}, "fd": N} for a worker process
STOP_SECONDS = 10.0  # SIGTERM, then SIGKILL after this
RESTART_GAP = 1.0  # at most one restart of a worker per this many seconds


def check(settings: Settings, workers: int) -> None:
    """SettingsError unless `workers` processes can share one world with these settings."""
    if workers < 1:
        raise SettingsError("--workers must be >= 1")
    if workers > 1 and not settings.store.startswith("redis://"):
        raise SettingsError(
            "--workers N > 1 needs --store redis://HOST:PORT/DB (the workers share one world "
            "through it; with memory or sqlite: each would have a world of its own)"
        )
    if workers > 1 and settings.state_file:
        raise SettingsError("--state-file cannot be used with --workers: the store keeps state")


def bind(settings: Settings) -> socket.socket:
    """The listening socket the workers share (inheritable)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def prepare(settings: Settings, faults: list[Any]) -> None:
    """Open the store once: a new world gets the start-up fault rules (as `serve` does)."""
    from nemo_mock.server.stores import attach, detach
    from nemo_mock.server.world import World

    world = World(settings)
    world.faults.add_many(faults)
    attach(world, settings.store)
    detach(world)


class Supervisor:
    """Runs N workers on one socket until stopped."""

    def __init__(self, settings: Settings, workers: int, sock: socket.socket) -> None:
        self.settings, self.count, self.sock = settings, workers, sock
        data = dataclasses.asdict(settings)
        self._env = {**os.environ, ENV: json.dumps({"settings": data, "fd": sock.fileno()})}
        self.procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def _spawn(self) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "nemo_mock.server.workers"]
        return subprocess.Popen(cmd, env=self._env, pass_fds=[self.sock.fileno()])

    def start(self) -> None:
        """Start every worker."""
        self.procs = [self._spawn() for _ in range(self.count)]

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """True once a worker answers /_mock/health (False: every worker died, or timeout)."""
        import httpx

        deadline = time.monotonic() + timeout
        headers = {"X-Admin-Token": self.settings.admin_token or ""}
        while time.monotonic() < deadline:
            if all(p.poll() is not None for p in self.procs):
                return False
            try:
                if httpx.get(self.url + "/_mock/health", headers=headers, timeout=2.0).is_success:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False

    def supervise(self) -> None:
        """Restart workers that die, until `stop` (blocking)."""
        last: dict[int, float] = {}
        while not self._stop.wait(0.2):
            for i, proc in enumerate(self.procs):
                if proc.poll() is None or self._stop.is_set():
                    continue
                if time.monotonic() - last.get(i, 0.0) < RESTART_GAP:
                    continue
                log.warning(
                    "worker %d (pid %d) exited with %s: restarted", i, proc.pid, proc.returncode
                )
                last[i] = time.monotonic()
                self.procs[i] = self._spawn()

    def stop(self) -> None:
        """Stop every worker by its PID: SIGTERM, then SIGKILL after STOP_SECONDS."""
        self._stop.set()
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_SECONDS)
        self.sock.close()


def serve_workers(
    settings: Settings,
    workers: int,
    faults: list[Any] | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    """Serve with `workers` processes until Ctrl-C / SIGTERM; 1 when no worker came up."""
    check(settings, workers)
    prepare(settings, faults or [])
    sup = Supervisor(settings, workers, bind(settings))
    handled = (signal.SIGINT, signal.SIGTERM)
    original = {sig: signal.signal(sig, lambda *_: sup._stop.set()) for sig in handled}
    try:
        sup.start()
        if not sup.wait_ready():
            print("nemo-mock: no worker came up (see the messages above)", file=sys.stderr)
            return 1
        if on_ready is not None:
            on_ready(sup.url)
        sup.supervise()
        return 0
    finally:
        sup.stop()
        for sig, handler in original.items():
            signal.signal(sig, handler)


def worker_main() -> None:
    """A worker: the settings and the socket come from the parent (ENV)."""
    from nemo_mock.server.serving import serve

    spec = json.loads(os.environ[ENV])
    settings = Settings().merged(spec["settings"])
    sock = socket.socket(fileno=int(spec["fd"]))
    serve(settings, sockets=[sock])


if __name__ == "__main__":
    worker_main()
