"""Throughput: the emulator's documented GETs against bare Starlette on the same uvicorn config.

Both servers run as subprocesses (`nemo-mock serve` exactly as users start it, and bench/apps.py's
one-route Starlette app returning a constant credits envelope); the load is wrk when installed, else
the multi-process raw-socket generator in bench/_load.py. Runs are interleaved (baseline, each
endpoint, repeat) so machine noise hits every row alike; the table shows medians and the ratio of
each row's req/s to the baseline's.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench import _api, _load, _proc
from bench._report import median, table

TARGET = 0.8


def fast_defaults() -> dict[str, Any]:
    """What `nemo-mock serve` configures by default (checked, not assumed)."""
    from nemo_mock.server.app import create_app
    from nemo_mock.server.serving import uvicorn_config
    from nemo_mock.server.settings import Settings

    s = Settings()
    c = uvicorn_config(create_app(s), s)
    return {
        "loop": c.loop,
        "http": http_name(c.http),
        "access_log": c.access_log,
        "log_level": c.log_level,
        "uvloop_installed": importlib.util.find_spec("uvloop") is not None,
        "httptools_installed": importlib.util.find_spec("httptools") is not None,
        "timeout_graceful_shutdown": c.timeout_graceful_shutdown,
    }


def http_name(http: Any) -> str:
    """uvicorn's `http` option as a name: a protocol class built on uvicorn's httptools protocol
    (the emulator's guarded one, mock_server/guarded_http.py) counts as httptools."""
    if isinstance(http, str):
        return http
    from uvicorn.protocols.http.h11_impl import H11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    if issubclass(http, HttpToolsProtocol):
        return f"httptools ({http.__name__})"
    if issubclass(http, H11Protocol):
        return f"h11 ({http.__name__})"
    return str(http.__name__)


def _render_paths(http: httpx.Client, tok: str, sid: str) -> dict[str, str]:
    """Two render jobs in a fixed state for the whole run: one processing (_api.stalled_render)
    and one completed with its MP4 drawn (submitted, then the clock advanced past the longest
    render, 90 s; tokens and sessions live far longer). A job left to run its course would
    change state mid-run, and the one-off drawing of its MP4, a worker thread's CPU, would land
    in whichever round it completed in."""
    stalled = _api.stalled_render(http, tok, sid)
    done = _api.render(http, tok, sid, "render_bench_completed")
    http.post("/_mock/clock/advance", json={"seconds": 120})
    path = f"/api/render/proxy/lambda/{done}"
    deadline = time.monotonic() + 60
    while not _api.envelope(http.get(path, headers=_api.headers(tok))).get("output"):
        if time.monotonic() > deadline:
            raise RuntimeError("the bench's render job did not complete within 60 s")
        time.sleep(0.2)
    processing = f"/api/render/proxy/lambda/{stalled}"
    return {"render status (processing)": processing, "render status (completed)": path}


def pin(pids: list[int]) -> Callable[[], None]:
    """Servers `pids` (every thread) on the last CPU, this process and the load generator it
    starts on the others; returns what undoes this process's part. On a 2-core machine this is
    the nearest to a server and a load generator on two machines: unpinned, the scheduler moves
    them across both cores: in one paired run of each (issue 12) the baseline's rounds spread over
    13,800-21,600 req/s unpinned and 21,000-22,900 pinned. Does nothing with fewer than 2 CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return lambda: None
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):  # a thread that just ended
                os.sched_setaffinity(int(tid), {cpus[-1]})
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(cpus[:-1]))
    return lambda: os.sched_setaffinity(0, before)


def run(quick: bool = False, tool: str = "auto", pinned: bool = True) -> dict[str, Any]:
    # five short rounds rather than three long ones, for the same time per row: a median of five
    # survives two disturbed rounds (a shared machine's bursts), a median of three only one
    duration, repeats, warmup = (2.0, 1, 0.5) if quick else (6.0, 5, 1.0)
    defaults = fast_defaults()
    servers = {"bare": _proc.bench_app("json"), "emulator": _proc.emulator()}
    if not quick:
        servers["emulator+log"] = _proc.emulator("emulator-access-log", flags=["--access-log"])
    unpin: Callable[[], None] = lambda: None  # noqa: E731
    try:
        for s in servers.values():
            s.start()
        if pinned:
            unpin = pin([s.pid for s in servers.values()])
        rows: list[tuple[str, str, str, dict[str, str]]] = [
            (
                "bare Starlette (baseline)",
                "bare",
                _api.CREDITS_PATH,
                dict(_api.ATTRIBUTION),
            ),
        ]
        for key in [k for k in servers if k != "bare"]:
            with httpx.Client(base_url=servers[key].url, timeout=10) as http:
                tok = _api.token(http)
                sid = _api.session(http, tok)
                hdr = _api.headers(tok)
                paths = {
                    "credits": _api.CREDITS_PATH,
                    "state": _api.state_path(sid),
                    **_render_paths(http, tok, sid),
                }
                for path in paths.values():  # each must answer code 0 before we load it
                    _api.envelope(http.get(path, headers=hdr))
            if key == "emulator":
                rows += [(f"emulator {label}", key, path, hdr) for label, path in paths.items()]
            else:
                rows.append(("emulator credits, --access-log", key, paths["credits"], hdr))
        runs: dict[str, list[tuple[_load.LoadResult, float]]] = {r[0]: [] for r in rows}
        for _ in range(repeats):
            for label, key, path, hdr in rows:
                srv = servers[key]
                res = _load.run(
                    srv.url, path, hdr, duration, tool=tool, warmup=warmup, probe=srv.cpu
                )
                runs[label].append((res, res.server_cpu))
        logged = "GET /api/credits" in servers["emulator"].output()
    finally:
        unpin()
        for s in servers.values():
            s.stop()

    base = median([r.rps for r, _ in runs[rows[0][0]]])
    table_rows, data = [], []
    for label, *_ in rows:
        rs = runs[label]
        rps = median([r.rps for r, _ in rs])
        item = {
            "row": label,
            "rps": rps,
            "p50_ms": median([r.p50_ms for r, _ in rs]),
            "p99_ms": median([r.p99_ms for r, _ in rs]),
            "ratio": rps / base if base else float("nan"),
            "errors": sum(r.errors for r, _ in rs),
            "server_cpu_pct": median([c for _, c in rs]),
            # server CPU per request: the scheduler's share of the cores cancels out of it
            "cpu_us_per_req": median([c / 100 / r.rps * 1e6 for r, c in rs if r.rps]),
            "runs_rps": [round(r.rps, 1) for r, _ in rs],
            "tool": rs[0][0].tool,
        }
        data.append(item)
        table_rows.append(
            [
                label,
                item["rps"],
                item["p50_ms"],
                item["p99_ms"],
                f"{item['ratio']:.2f}x",
                item["errors"],
                f"{item['server_cpu_pct']:.0f}%",
                item["cpu_us_per_req"],
                f"{item['cpu_us_per_req'] / data[0]['cpu_us_per_req']:.2f}x",
            ]
        )
    tool_name = runs[rows[0][0]][0][0].tool
    print(
        table(
            f"Throughput ({tool_name}, 64 connections, {duration:.0f}s x {repeats}, medians; "
            "server and load share the machine's cores)",
            [
                "row",
                "req/s",
                "p50 ms",
                "p99 ms",
                "vs bare",
                "errors",
                "server CPU",
                "CPU us/req",
                "CPU vs bare",
            ],
            table_rows,
        )
    )
    default_rows = [d for d in data[1:] if "access-log" not in d["row"]]
    worst = min(default_rows, key=lambda d: d["ratio"])
    fast_ok = (
        defaults["loop"] == "uvloop"
        and defaults["http"].startswith("httptools")
        and not defaults["access_log"]
    )
    print(
        f"nemo-mock serve defaults: loop={defaults['loop']} http={defaults['http']} "
        f"access_log={defaults['access_log']} (no access lines in its output: {not logged})"
    )
    ok = worst["ratio"] >= TARGET
    summary = (
        f"throughput: worst emulator endpoint {worst['row']!r} at {worst['ratio']:.2f}x bare "
        f"({worst['rps']:,.0f} vs {base:,.0f} req/s) - target >= {TARGET}x: "
        f"{'PASS' if ok else 'FAIL'}; server CPU per request at worst "
        f"{max(d['cpu_us_per_req'] for d in default_rows) / data[0]['cpu_us_per_req']:.2f}x bare; "
        f"fast defaults: {'yes' if fast_ok and not logged else 'NO'}"
    )
    print(summary)
    return {
        "rows": data,
        "baseline_rps": base,
        "worst_ratio": worst["ratio"],
        "pass": ok,
        "defaults": defaults,
        "access_lines_in_default_output": logged,
        "summary": summary,
        "duration": duration,
        "repeats": repeats,
    }
