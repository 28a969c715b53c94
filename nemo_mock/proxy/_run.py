"""Running the proxy: settings, the live log and summary, a background server for tests."""

from __future__ import annotations

import ipaddress
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn

from nemo_mock import contracts
from nemo_mock.proxy._app import ProxyApp
from nemo_mock.proxy._check import Checker
from nemo_mock.proxy._exchange import Exchange
from nemo_mock.proxy._record import Recorder, probe_emulator
from nemo_mock.proxy._rules import MUST, RULES, Violation
from nemo_mock.server.serving import BackgroundServer, UvicornServer

KEEP_EXCHANGES = 1000
DEFAULT_HEARTBEAT = float(contracts.facts()["turn"]["heartbeat_interval_seconds"])


def is_loopback(host: str) -> bool:
    """`host` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Proxy:
    """A validating (and optionally recording) proxy in front of `upstream`."""

    def __init__(
        self,
        upstream: str,
        *,
        record: str | Path | None = None,
        heartbeat_seconds: float | None = None,
        check_heartbeats: bool = True,
        out: Callable[[str], None] | None = None,
        admin_token: str | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.emulator = probe_emulator(self.upstream, admin_token)
        if heartbeat_seconds is None and self.emulator is not None:
            s = self.emulator["settings"]
            scale = float(s.get("time_scale") or 0)
            heartbeat_seconds = float(s["heartbeat_interval"]) / scale if scale > 0 else None
            check_heartbeats = check_heartbeats and scale > 0
        elif heartbeat_seconds is None:
            heartbeat_seconds = DEFAULT_HEARTBEAT
        self.heartbeat_seconds = heartbeat_seconds if check_heartbeats else None
        self.checker = Checker(self.heartbeat_seconds, report=self._live)
        self.recorder = Recorder(record, self.upstream, self.emulator) if record else None
        # the latest exchanges (bounded: a proxy may run for days); `count` counts them all
        self.exchanges: deque[Exchange] = deque(maxlen=KEEP_EXCHANGES)
        self.count = 0
        self.app = ProxyApp(
            self.upstream,
            self.checker,
            on_exchange=self._done,
            virtual_clock=self.emulator is not None,
            admin_token=admin_token,
        )
        self._background: BackgroundServer | None = None
        self.url = ""

    def _live(self, v: Violation) -> None:
        if self.out is not None:
            self.out(v.line())

    def _done(self, ex: Exchange) -> None:
        self.count += 1
        self.exchanges.append(ex)
        if self.recorder is not None:
            self.recorder.add(ex)

    @property
    def violations(self) -> list[Violation]:
        """Every violation found so far."""
        return list(self.checker.violations)

    def must_failed(self) -> bool:
        """A MUST rule was broken."""
        return any(v.level == MUST for v in self.checker.violations)

    def summary(self) -> list[str]:
        """The end-of-run summary, one line each."""
        counts = Counter(v.rule for v in self.checker.violations)
        lines = [f"{self.count} exchanges through {self.upstream}"]
        if not counts:
            lines.append("no violations")
        for rule, n in sorted(counts.items(), key=lambda kv: (RULES[kv[0]].level, kv[0])):
            lines.append(f"  {RULES[rule].level:<6} {rule:<24} x{n}  ({RULES[rule].source})")
        return lines

    def finish(self) -> Path | None:
        """Write the recording (when recording); returns its directory."""
        if self.recorder is None:
            return None
        return self.recorder.close(self.checker.violations)

    # -- serving ---------------------------------------------------------------------------
    def config(self, host: str, port: int) -> uvicorn.Config:
        """uvicorn's configuration for this proxy."""
        return uvicorn.Config(
            self.app,
            host=host,
            port=port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
            server_header=False,  # the upstream's Server and Date pass through instead
            date_header=False,
        )

    def serve(self, host: str, port: int, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in the foreground until interrupted."""
        server = UvicornServer(self.config(host, port), on_ready, self.app.aclose)
        try:
            server.run()
        finally:
            self.finish()

    def start(self, timeout: float = 10.0) -> str:
        """Serve on 127.0.0.1 (a free port) in a background thread; returns the URL."""
        config = self.config("127.0.0.1", 0)
        self._background = BackgroundServer(config, self.app.aclose, name="nemo-mock-proxy")
        self.url = self._background.start(timeout)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background server and write the recording."""
        if self._background is not None:
            self._background.stop(timeout)
        self._background = None
        self.finish()

    def __enter__(self) -> Proxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
