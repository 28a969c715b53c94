"""`python -m bench.paired`: bare Starlette against emulator variants, in short interleaved rounds.

    python -m bench.paired --row state
    python -m bench.paired --row credits --variant small=journal_size=100 --cycles 12

`make bench`'s throughput rows are medians of 6-second rounds taken tens of seconds apart, so a
burst on a shared machine lands in one row's round and not another's. To compare two versions of
a change (issue 12), this runs short rounds (2 s after 0.2 s of warm-up) of bare Starlette and of
each variant back to back, reversing the order every cycle, and reports the median over cycles
of each round's server CPU per request divided by the bare round's next to it: noise that lasts
longer than a cycle hits both sides of the ratio alike. A variant is `NAME=key=value,key=value`
(emulator settings, as `nemo-mock serve --set`); `default` (no settings) always runs. Every
variant's ring is filled before the first round. Servers and load are pinned as in throughput.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from typing import Any

import httpx

from bench import _api, _load, _proc
from bench._report import table
from bench.throughput import pin

ROWS = ("credits", "state", "processing")


def variant(text: str) -> tuple[str, dict[str, str]]:
    """`NAME=key=value,key=value` as (NAME, settings)."""
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise argparse.ArgumentTypeError(f"expected NAME=key=value[,key=value], got {text!r}")
    settings = {}
    for item in rest.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise argparse.ArgumentTypeError(f"expected key=value in {text!r}, got {item!r}")
        settings[key] = value
    return name, settings


def _path(http: httpx.Client, row: str) -> tuple[str, dict[str, str]]:
    tok = _api.token(http)
    sid = _api.session(http, tok)
    if row == "credits":
        path = _api.CREDITS_PATH
    elif row == "state":
        path = _api.state_path(sid)
    else:
        path = f"/api/render/proxy/lambda/{_api.stalled_render(http, tok, sid)}"
    return path, _api.headers(tok)


def run(row: str, variants: dict[str, dict[str, str]], cycles: int, duration: float) -> int:
    servers = {"bare": _proc.bench_app("json")}
    for name, settings in variants.items():
        servers[name] = _proc.emulator(f"emulator-{name}", settings=dict(settings))
    targets = {"bare": (_api.CREDITS_PATH, dict(_api.ATTRIBUTION))}
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in servers}
    unpin = None
    try:
        for server in servers.values():
            server.start()
        unpin = pin([s.pid for s in servers.values()])
        for name in variants:
            with httpx.Client(base_url=servers[name].url, timeout=10) as http:
                targets[name] = _path(http, row)
            path, headers = targets[name]
            _load.run(servers[name].url, path, headers, 3.0, tool="auto", warmup=0.0)  # the ring
        for cycle in range(cycles):
            order = list(servers) if cycle % 2 == 0 else list(reversed(servers))
            for name in order:
                path, headers = targets[name]
                srv = servers[name]
                res = _load.run(
                    srv.url, path, headers, duration, tool="auto", warmup=0.2, probe=srv.cpu
                )
                cpu = res.server_cpu / 100 / res.rps * 1e6 if res.rps else float("nan")
                rounds[name].append((res.rps, cpu))
    finally:
        if unpin is not None:
            unpin()
        for server in servers.values():
            server.stop()
    rows = []
    for name, values in rounds.items():
        cpu_ratios = [v[1] / b[1] for v, b in zip(values, rounds["bare"], strict=True)]
        rps_ratios = [v[0] / b[0] for v, b in zip(values, rounds["bare"], strict=True)]
        q1, _, q3 = statistics.quantiles(cpu_ratios, n=4)
        rows.append(
            [
                name,
                statistics.median(v[1] for v in values),
                f"{statistics.median(cpu_ratios):.3f}x",
                f"{q1:.3f}-{q3:.3f}",
                f"{statistics.median(rps_ratios):.3f}x",
            ]
        )
    title = (
        f"Paired rounds, GET {row} ({cycles} cycles of {duration:g} s per server; bare is bare "
        "Starlette's constant credits)"
    )
    headers = ["server", "CPU us/req", "CPU vs bare (median)", "quartiles", "req/s vs bare"]
    print(table(title, headers, rows))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.paired",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--row", choices=ROWS, default="state", help="the emulator GET to load")
    p.add_argument(
        "--variant",
        type=variant,
        action="append",
        default=[],
        metavar="NAME=key=value,...",
        help="an emulator with these settings (repeatable); `default` always runs",
    )
    p.add_argument("--cycles", type=int, default=10, help="rounds per server (3 to 50)")
    p.add_argument("--duration", type=float, default=2.0, help="seconds per round (1 to 30)")
    args = p.parse_args(argv)
    if not 3 <= args.cycles <= 50:
        p.error("--cycles must be from 3 to 50")
    if not 1 <= args.duration <= 30:
        p.error("--duration must be from 1 to 30 seconds")
    variants: dict[str, dict[str, Any]] = {"default": {}}
    for name, settings in args.variant:
        if name in variants or name == "bare":
            p.error(f"variant name {name!r} is taken")
        variants[name] = settings
    _proc.raise_fd_limit()
    return run(args.row, variants, args.cycles, args.duration)


if __name__ == "__main__":
    sys.exit(main())
