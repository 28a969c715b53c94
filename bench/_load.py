"""HTTP/1.1 keep-alive load: wrk when it is installed, else a multi-process raw-socket generator.

The fallback runs `procs` worker processes (asyncio + uvloop), each with its share of the
connections; every connection sends one pre-built request, reads the status line, the headers up to
the blank line and `Content-Length` bytes of body, then sends the next (no pipelining).
Workers start
measuring at a shared wall-clock instant after a warm-up and report counts, latencies and CPU.

    python -m bench._load worker '<json args>'   # one worker (internal)
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._proc import PYTHON, ROOT, raise_fd_limit


@dataclass
class LoadResult:
    """One load run: requests per second, latency percentiles (ms), errors, generator CPU."""

    tool: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    duration: float
    gen_cpu: float = 0.0  # CPU seconds the generator used
    server_cpu: float = float("nan")  # % of one core the server used in the measured phase
    notes: list[str] = field(default_factory=list)


def build_request(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


Probe = Callable[[], float]


def run(
    url: str,
    path: str,
    headers: dict[str, str],
    duration: float,
    connections: int = 64,
    tool: str = "auto",
    procs: int = 2,
    warmup: float = 1.0,
    probe: Probe | None = None,
) -> LoadResult:
    """Load `url + path` for `duration` seconds (after `warmup`) with `connections` connections.

    `probe` returns the server's CPU seconds so far; it is read at the start and end of the
    measured phase (not the warm-up) to give `server_cpu`.
    """
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    if tool == "wrk":
        return _wrk(url, path, headers, duration, connections, warmup, probe)
    return _python(url, path, headers, duration, connections, procs, warmup, probe)


def available_tool() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# -- wrk -------------------------------------------------------------------------------------
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def _wrk(
    url: str,
    path: str,
    headers: dict[str, str],
    duration: float,
    connections: int,
    warmup: float,
    probe: Probe | None,
) -> LoadResult:
    hdr = [a for k, v in headers.items() for a in ("-H", f"{k}: {v}")]
    if warmup > 0:
        subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(warmup))}s", *hdr, url + path],
            capture_output=True,
            timeout=warmup + 30,
            check=False,
        )
    cpu0 = _children_cpu()
    s0, t0 = (probe() if probe else 0.0), time.monotonic()
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--latency",
            *hdr,
            url + path,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 30,
        check=False,
    ).stdout
    server = ((probe() - s0) / (time.monotonic() - t0) * 100) if probe else float("nan")
    cpu = _children_cpu() - cpu0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(g) for g in m.groups())
    return LoadResult("wrk -t2", rps, p50, p99, total, errors, duration, cpu, server)


# -- the pure-Python generator ---------------------------------------------------------------
def _python(
    url: str,
    path: str,
    headers: dict[str, str],
    duration: float,
    connections: int,
    procs: int,
    warmup: float,
    probe: Probe | None,
) -> LoadResult:
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    request = build_request(host, int(port), path, headers)
    start_at = time.time() + 0.3 + warmup
    per = [connections // procs + (1 if i < connections % procs else 0) for i in range(procs)]
    cpu0 = _children_cpu()
    outs = [
        tempfile.NamedTemporaryFile(prefix="bench-load-", suffix=".json", delete=False)  # noqa: SIM115
        for n in per
        if n > 0
    ]
    workers = [
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "bench._load",
                "worker",
                json.dumps(
                    {
                        "host": host,
                        "port": int(port),
                        "request": request.decode("latin-1"),
                        "connections": n,
                        "start_at": start_at,
                        "duration": duration,
                        "out": out.name,
                    }
                ),
            ],
            cwd=ROOT,
        )
        for n, out in zip([n for n in per if n > 0], outs, strict=True)
    ]
    server = float("nan")
    if probe is not None:  # read the server's CPU at the start and the end of the measured phase
        time.sleep(max(0.0, start_at - time.time()))
        s0 = probe()
        time.sleep(max(0.0, start_at + duration - time.time()))
        server = (probe() - s0) / duration * 100
    results = []
    for w, out in zip(workers, outs, strict=True):
        w.wait(timeout=duration + warmup + 60)
        out.close()
        results.append(json.loads(Path(out.name).read_text()))
        os.unlink(out.name)
    cpu = _children_cpu() - cpu0
    lat = sorted(x for r in results for x in r["latencies_us"])
    count = sum(r["count"] for r in results)
    errors = sum(r["errors"] for r in results)
    p50 = lat[len(lat) // 2] / 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000 if lat else float("nan")
    return LoadResult(
        f"python x{len(workers)}", count / duration, p50, p99, count, errors, duration, cpu, server
    )


class _Conn(asyncio.Protocol):
    """One keep-alive connection: send, read one response (Content-Length framing), repeat."""

    def __init__(self, stats: _Stats) -> None:
        self.stats = stats
        self.buf = bytearray()
        self.sent = 0.0
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        if self.stats.stop or self.transport is None:
            if self.transport is not None:
                self.transport.close()
            return
        self.sent = time.perf_counter()
        self.transport.write(self.stats.request)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buf[:end]).lower()
        i = head.find(b"content-length:")
        length = 0
        if i >= 0:
            j = head.find(b"\r\n", i)
            length = int(head[i + 15 : j if j > 0 else None])
        if len(buf) < end + 4 + length:
            return
        now = time.perf_counter()
        ok = buf[9:12] == b"200"
        del buf[: end + 4 + length]
        self.stats.record(self.sent, now, ok)
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.stats.stop:
            self.stats.errors += 1
        if not self.closed.done():
            self.closed.set_result(None)


class _Stats:
    def __init__(self, request: bytes, t0: float, t1: float) -> None:
        self.request = request
        self.t0, self.t1 = t0, t1
        self.count = 0
        self.errors = 0
        self.lat: list[int] = []
        self.stop = False

    def record(self, sent: float, done: float, ok: bool) -> None:
        if self.t0 <= done <= self.t1:
            if ok:
                self.count += 1
                self.lat.append(int((done - sent) * 1e6))
            else:
                self.errors += 1


async def _worker(args: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    # translate the shared wall-clock start into this process's perf_counter
    offset = time.perf_counter() - time.time()
    t0 = args["start_at"] + offset
    stats = _Stats(args["request"].encode("latin-1"), t0, t0 + args["duration"])
    conns = []
    for _ in range(args["connections"]):
        _, proto = await loop.create_connection(lambda: _Conn(stats), args["host"], args["port"])
        conns.append(proto)
    await asyncio.sleep(max(0.0, stats.t1 - time.perf_counter()))
    stats.stop = True
    for c in conns:
        if c.transport is not None:
            c.transport.close()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "count": stats.count,
        "errors": stats.errors,
        "latencies_us": stats.lat,
        "cpu": ru.ru_utime + ru.ru_stime,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "worker":
        print(__doc__)
        return 2
    raise_fd_limit()
    import gc

    gc.disable()  # the generator allocates little; a GC pause would show up as server latency
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    args = json.loads(argv[1])
    result = asyncio.run(_worker(args))
    Path(args["out"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
