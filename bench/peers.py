"""Peers side by side: other mock servers serving the same credits envelope, one table.

    python -m bench.peers [--duration 5] [--only wiremock,prism,...]

Installs on demand into bench/peers/ (git-ignored): npm packages with `npm install --prefix` and
pytest-httpserver with `pip install --target`. A peer that fails to install or start is listed with
the reason. Baselines in the same run: bare Starlette and the emulator (GET credits, with auth).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import httpx

from bench import _api, _load, _proc, _report
from bench._peer_servers import ALL, Skip
from bench.apps import JSON_PATH


def _measure(
    server: _proc.Server, path: str, headers: dict[str, str], duration: float, tool: str
) -> _load.LoadResult:
    return _load.run(server.url, path, headers, duration, tool=tool, warmup=1.0, probe=server.cpu)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.peers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--duration", type=float, default=5.0, help="seconds of load per server")
    p.add_argument("--only", help=f"comma-separated subset of {', '.join(ALL)}")
    p.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    args = p.parse_args(argv)
    _proc.raise_fd_limit()
    names = args.only.split(",") if args.only else list(ALL)
    unknown = [n for n in names if n not in ALL]
    if unknown:
        p.error(f"unknown peer(s) {', '.join(unknown)}; choose from {', '.join(ALL)}")
    rows: list[dict[str, Any]] = []

    def baseline(label: str, server: _proc.Server, emulator: bool) -> None:
        with server:
            headers = dict(_api.ATTRIBUTION)
            if emulator:
                with httpx.Client(base_url=server.url, timeout=10) as http:
                    headers = _api.headers(_api.token(http))
            r = _measure(server, JSON_PATH, headers, args.duration, args.tool)
            rows.append(
                {
                    "server": label,
                    "version": "",
                    "rps": r.rps,
                    "p50_ms": r.p50_ms,
                    "p99_ms": r.p99_ms,
                    "errors": r.errors,
                    "server_cpu": r.server_cpu,
                    "rss_mb": server.rss_kb() / 1024,
                    "note": r.tool,
                }
            )

    baseline("bare Starlette (baseline)", _proc.bench_app("json"), False)
    baseline("nemo-mock emulator", _proc.emulator(), True)
    for name in names:
        t0 = time.monotonic()
        try:
            server, version = ALL[name](_proc.free_port())
        except Skip as exc:
            rows.append({"server": name, "note": f"skipped: {exc}"})
            continue
        except Exception as exc:  # a broken peer is a row, not a crash
            rows.append({"server": name, "note": f"skipped: {type(exc).__name__}: {exc}"})
            continue
        try:
            server.start(timeout=90)
            check = httpx.get(server.url + JSON_PATH, timeout=10)
            if check.status_code != 200 or check.json().get("code") != 0:
                raise Skip(f"answered {check.status_code} {check.text[:80]!r}")
            r = _measure(server, JSON_PATH, dict(_api.ATTRIBUTION), args.duration, args.tool)
            rows.append(
                {
                    "server": name,
                    "version": version,
                    "rps": r.rps,
                    "p50_ms": r.p50_ms,
                    "p99_ms": r.p99_ms,
                    "errors": r.errors,
                    "server_cpu": r.server_cpu,
                    "rss_mb": (
                        server.rss_kb()
                        + sum(_proc.status_kb(c, "VmRSS") for c in _proc.descendants(server.pid))
                    )
                    / 1024,
                    "note": f"started in {time.monotonic() - t0:.0f}s",
                }
            )
        except Exception as exc:
            rows.append(
                {
                    "server": name,
                    "version": version,
                    "note": f"skipped: {exc}"[:160] + f" | {server.output()[-160:]!r}",
                }
            )
        finally:
            server.stop()
    base = rows[0]["rps"]
    emu = rows[1]["rps"]
    print(
        _report.table(
            f"Peers: GET {JSON_PATH} returning the credits envelope, 64 connections, "
            f"{args.duration:.0f}s each",
            [
                "server",
                "version",
                "req/s",
                "p50 ms",
                "p99 ms",
                "vs bare",
                "vs emulator",
                "errors",
                "server CPU",
                "RSS MB",
                "note",
            ],
            [
                [
                    r["server"],
                    r.get("version"),
                    r.get("rps"),
                    r.get("p50_ms"),
                    r.get("p99_ms"),
                    f"{r['rps'] / base:.2f}x" if r.get("rps") else None,
                    f"{r['rps'] / emu:.2f}x" if r.get("rps") else None,
                    r.get("errors"),
                    f"{r['server_cpu']:.0f}%"
                    if r.get("server_cpu") == r.get("server_cpu")
                    and r.get("server_cpu") is not None
                    else None,
                    r.get("rss_mb"),
                    r.get("note"),
                ]
                for r in rows
            ],
        )
    )
    ran = [r for r in rows[2:] if r.get("rps")]
    faster = [r["server"] for r in ran if r["rps"] > emu]
    summary = (
        f"peers: emulator {emu:,.0f} req/s ({emu / base:.2f}x bare); measured {len(ran)} of "
        f"{len(rows) - 2} peers; faster than the emulator: {', '.join(faster) or 'none'}"
    )
    print(summary)
    _report.write({"peers": {"rows": rows, "summary": summary}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
