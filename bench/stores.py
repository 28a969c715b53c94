"""Stores side by side: polled reads and writes with `--store memory`, `sqlite:` and `redis://`
(one process, and two workers sharing the world: `--workers 2`).

Each store runs as `nemo-mock serve --store URL [--workers 2]` (a subprocess, as users start it);
redis:// gets a private redis-server on a free loopback port (skipped when redis-server is not
installed); each redis row has a world of its own (`?prefix=`). Runs are interleaved (every
store, then repeat) so machine noise hits each row alike; the table shows medians, the ratio to
memory, and for redis x2 the ratio to redis x1, measured in the same run.

- polled reads: GET state/latest of one session under keep-alive load (bench/_load.py or wrk);
- writes: 8 threads creating sessions back to back (httpx), the rate of acknowledged writes;
- SSE streams: bench/sse.py's step loop (stalled turns, a heartbeat a second, a step fails when one
  is > 1 s late) against each store alone, in a fresh emulator and a fresh database.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench import _api, _load, _proc, sse
from bench._report import median, table

TARGET_SQLITE_READS = 0.8
TARGET_X2_READS = 1.3  # redis x2 workers vs redis x1, polled reads
TARGET_X2_STREAMS = 1.6  # redis x2 workers vs redis x1, SSE streams held
WRITERS = 8
LIMITS = {"tokens_per_ip": 1_000_000}  # every write round mints WRITERS tokens from 127.0.0.1


def _redis_server(workdir: Path) -> _proc.Server | None:
    exe = shutil.which("redis-server")
    if exe is None:
        return None
    port = _proc.free_port()
    argv = [exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]
    argv += ["--save", "", "--appendonly", "no"]
    return _proc.Server("redis", argv, url=f"http://127.0.0.1:{port}")


def _writes(url: str, seconds: float) -> float:
    """Acknowledged session creations per second from WRITERS threads."""
    counts = [0] * WRITERS
    stop = time.monotonic() + seconds

    def writer(i: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            tok = _api.token(http)
            while time.monotonic() < stop:
                _api.session(http, tok)
                counts[i] += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    return sum(counts) / (time.monotonic() - t0)


def _flags(url: str, workers: int) -> list[str]:
    return ["--store", url] + (["--workers", str(workers)] if workers > 1 else [])


SSE_STEPS = [2000, 4000, 8000, 12000, 16000, 20000]


def _sse_capacity(
    stores: dict[str, tuple[str, int]], quick: bool, steps: list[int] | None = None
) -> dict[str, dict[str, Any]]:
    """Streams held per store (each alone, fresh emulator; a fresh file or world for each)."""
    steps = steps or ([200, 500] if quick else SSE_STEPS)
    window, settle, budget = (3.0, 1.5, 25.0) if quick else (6.0, 2.0, 400.0)
    out: dict[str, dict[str, Any]] = {}
    for name, (url, workers) in stores.items():
        if url.startswith("sqlite:"):
            url = url.replace("state.db", "sse.db")
        elif url.startswith("redis://"):
            url = url.replace("?prefix=", "?prefix=sse")
        flags = _flags(url, workers)
        server = _proc.emulator(f"emulator-sse-{name}", settings=sse.STALL, flags=flags)
        with server:
            out[name] = sse.measure(server, steps, window, settle, budget, True)
    return out


def run(
    quick: bool = False,
    tool: str = "auto",
    steps: list[int] | None = None,
    only: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    duration, repeats, warmup = (2.0, 1, 0.5) if quick else (8.0, 3, 1.0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-stores-"))
    redis = _redis_server(tmp)
    stores = {"memory x1": ("memory", 1), "sqlite x1": (f"sqlite:{tmp / 'state.db'}", 1)}
    servers: dict[str, _proc.Server] = {}
    try:
        if redis is not None:
            redis.start()
            base = redis.url.replace("http://", "redis://") + "/0"
            stores["redis x1"] = (base + "?prefix=r1:", 1)
            stores["redis x2"] = (base + "?prefix=r2:", 2)
        if only:
            wanted = [name.replace("-", " ") for name in only]
            stores = {name: stores[name] for name in wanted if name in stores}
        first = next(iter(stores))
        for name, (url, workers) in stores.items():
            label = name.replace(" ", "-")
            servers[name] = _proc.emulator(
                f"emulator-{label}", settings=LIMITS, flags=_flags(url, workers)
            )
            servers[name].start()
        paths: dict[str, tuple[str, dict[str, str]]] = {}
        for name, srv in servers.items():
            with httpx.Client(base_url=srv.url, timeout=10) as http:
                tok = _api.token(http)
                sid = _api.session(http, tok)
                path = _api.state_path(sid)
                _api.envelope(http.get(path, headers=_api.headers(tok)))
                paths[name] = (path, _api.headers(tok))
        reads: dict[str, list[_load.LoadResult]] = {n: [] for n in servers}
        writes: dict[str, list[float]] = {n: [] for n in servers}
        for _ in range(repeats):
            for name, srv in servers.items():
                path, hdr = paths[name]
                res = _load.run(srv.url, path, hdr, duration, tool=tool, warmup=warmup)
                reads[name].append(res)
                writes[name].append(_writes(srv.url, duration / 2))
        for srv in servers.values():
            srv.stop()
        streams = _sse_capacity(stores, quick, steps)
    finally:
        for srv in servers.values():
            srv.stop()
        if redis is not None:
            redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    base_r = median([r.rps for r in reads[first]])
    base_w = median(writes[first])
    base_s = streams[first]["held"]
    rows, data = [], []
    for name in servers:
        rps = median([r.rps for r in reads[name]])
        wps = median(writes[name])
        item = {
            "store": name,
            "read_rps": rps,
            "read_p99_ms": median([r.p99_ms for r in reads[name]]),
            "read_ratio": rps / base_r if base_r else float("nan"),
            "read_errors": sum(r.errors for r in reads[name]),
            "write_rps": wps,
            "write_ratio": wps / base_w if base_w else float("nan"),
            "sse_held": streams[name]["held"],
            "sse_stopped": streams[name]["stopped"],
            "sse_ratio": streams[name]["held"] / base_s if base_s else float("nan"),
        }
        data.append(item)
        rows.append(
            [
                name,
                rps,
                item["read_p99_ms"],
                f"{item['read_ratio']:.2f}x",
                item["read_errors"],
                wps,
                f"{item['write_ratio']:.2f}x",
                item["sse_held"],
                f"{item['sse_ratio']:.2f}x",
            ]
        )
    print(
        table(
            f"Stores ({reads[first][0].tool}, baseline {first}, polled reads 64 connections "
            f"{duration:.0f}s; "
            f"writes {WRITERS} threads {duration / 2:.0f}s; x {repeats}, medians; shared machine)",
            [
                "store",
                "reads/s",
                "p99 ms",
                f"vs {first}",
                "errors",
                "writes/s",
                f"vs {first}",
                "SSE held",
                f"vs {first}",
            ],
            rows,
        )
    )
    if redis is None:
        print("redis: not measured (redis-server not installed: Debian package `redis-server`)")
    by = {d["store"]: d for d in data}
    ok = True
    summary = "stores: SSE streams held " + ", ".join(
        f"{d['store']} {d['sse_held']:,}" for d in data
    )
    if "sqlite x1" in by and first == "memory x1":
        sqlite = by["sqlite x1"]
        ok = sqlite["read_ratio"] >= TARGET_SQLITE_READS
        summary += (
            f"; sqlite polled reads {sqlite['read_ratio']:.2f}x memory "
            f"(target >= {TARGET_SQLITE_READS}x: {'PASS' if ok else 'FAIL'}); "
            f"sqlite writes {sqlite['write_ratio']:.2f}x memory"
        )
    if "redis x2" in by and "redis x1" in by:
        one, two = by["redis x1"], by["redis x2"]
        r_ratio = two["read_rps"] / one["read_rps"] if one["read_rps"] else float("nan")
        s_ratio = two["sse_held"] / one["sse_held"] if one["sse_held"] else float("nan")
        x2_ok = r_ratio >= TARGET_X2_READS and s_ratio >= TARGET_X2_STREAMS
        ok = ok and x2_ok
        summary += (
            f"; redis x2 vs x1: polled reads {r_ratio:.2f}x (target >= {TARGET_X2_READS}x), "
            f"SSE streams {s_ratio:.2f}x (target >= {TARGET_X2_STREAMS}x): "
            f"{'PASS' if x2_ok else 'FAIL'}"
        )
        if one["sse_held"] >= max(steps or SSE_STEPS):
            summary += " (x1 held the top step: the streams ratio is a lower bound)"
    print(summary)
    return {"rows": data, "pass": ok, "summary": summary, "duration": duration}
