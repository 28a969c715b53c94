"""Servers as subprocesses on free loopback ports, stopped by their own PID; /proc readings.

Every server the benchmarks start goes through `Server`: it writes its output to a temporary file
(never a pipe that could fill up), announces its URL on a line, and is stopped with SIGTERM to its
own PID (then SIGKILL to the same PID if it does not leave in time).
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
_URL = re.compile(rb"(http://127\.0\.0\.1:\d+)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


FD_WANT = 65536  # open files for 20,000 streams plus the server's own, with room to spare


def raise_fd_limit() -> int:
    """Raise this process's open-file limit toward FD_WANT; returns the new soft limit.

    The soft limit goes up to the hard limit; the hard limit itself goes up to FD_WANT only where
    the process may (root or CAP_SYS_RESOURCE, up to /proc/sys/fs/nr_open): 20,000 streams need
    more than the usual 20,000 or 1,024.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if hard < FD_WANT:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (FD_WANT, FD_WANT))
            return FD_WANT
        except (ValueError, OSError):
            pass  # not allowed: the hard limit stays
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
    return hard


def fd_limit() -> int:
    """This process's soft open-file limit."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def status_kb(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, ...); 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` so far (from /proc/<pid>/stat)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        fields = raw[raw.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, ValueError, IndexError):
        return 0.0


class Server:
    """A server subprocess that prints `http://127.0.0.1:<port>` once it listens."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        ready: re.Pattern[bytes] = _URL,
        url: str | None = None,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd or ROOT
        self._ready = ready
        self.url = url or ""
        self._fixed_url = url
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop)
            prefix=f"bench-{name}-", suffix=".log", delete=False
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        """What the server printed so far (last 4 KB)."""
        try:
            return Path(self._log.name).read_bytes()[-4096:].decode("utf-8", "replace")
        except OSError:
            return ""

    def start(self, timeout: float = 20.0) -> str:
        """Start and wait until the URL line appears (or, with a fixed URL, the port answers)."""
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=self.cwd,
            preexec_fn=raise_fd_limit,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}: {self.output()}"
                )
            if self._fixed_url:
                if _port_open(self._fixed_url):
                    return self.url
            else:
                m = self._ready.search(Path(self._log.name).read_bytes())
                if m:
                    self.url = m.group(1).decode()
                    return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {timeout:.0f}s: {self.output()}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to our PID, then SIGKILL to the same PID after `timeout`.

        Children the server spawned itself (a JVM under a launcher) are found in /proc before the
        stop and signalled by their own PIDs too.
        """
        if self.proc is not None and self.proc.poll() is None:
            for child in descendants(self.proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGTERM)
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            except ProcessLookupError:
                pass
        self._log.close()
        with contextlib.suppress(OSError):
            os.unlink(self._log.name)

    def rss_kb(self) -> int:
        return status_kb(self.pid, "VmRSS")

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def descendants(pid: int) -> list[int]:
    """PIDs of `pid`'s children, grandchildren, ... (from /proc/<pid>/task/*/children)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(x) for x in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            out += kids
            todo += kids
    return out


def _port_open(url: str) -> bool:
    import socket

    host, port = url.rsplit("//", 1)[1].split("/")[0].rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, int(port))) == 0


def free_port() -> int:
    """A port that was free a moment ago (for servers that cannot bind port 0 themselves)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def emulator(
    name: str = "emulator",
    settings: dict[str, object] | None = None,
    flags: list[str] | None = None,
    prelude: str = "",
) -> Server:
    """`nemo-mock serve` as users run it (python -m nemo_mock serve), on a free port.

    `prelude` (experiments only): Python code run in the server process before it starts.
    """
    argv = [PYTHON, "-m", "nemo_mock", "serve", "--host", "127.0.0.1", "--port", "0"]
    if prelude:
        argv = [
            PYTHON,
            "-c",
            f"{prelude}\nimport sys\nfrom nemo_mock.cli import main\nsys.exit(main(sys.argv[1:]))",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ]
    for key, value in (settings or {}).items():
        argv += ["--set", f"{key}={value}"]
    return Server(name, argv + list(flags or []))


def bench_app(kind: str, *args: str) -> Server:
    """One of bench/apps.py's bare baselines, on a free port."""
    return Server(f"bare-{kind}", [PYTHON, "-m", "bench.apps", kind, *args])
