"""`python -m bench [--quick] [NAME ...]`: run the benchmarks, print tables, write results.

Names: asgi, timecomp, upload, throughput, sse, stores, reliability, instructions (default: all,
in that order). Peers are separate: `python -m bench.peers`. Results go to bench/results/latest.json
(git-ignored).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from bench import _proc, _report

NAMES = ("asgi", "timecomp", "upload", "throughput", "sse", "stores", "reliability", "instructions")


def _runner(name: str, args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    if name == "asgi":
        from bench import asgi

        return lambda: asgi.run(args.quick, profile=args.profile)
    if name == "throughput":
        from bench import throughput

        return lambda: throughput.run(args.quick, tool=args.tool, pinned=not args.no_pin)
    if name == "sse":
        from bench import sse

        steps = [int(s) for s in args.steps.split(",")] if args.steps else None
        servers = tuple(args.sse_servers.split(","))
        return lambda: sse.run(args.quick, steps=steps, servers=servers, prelude=args.prelude)
    if name == "stores":
        from bench import stores

        steps = [int(s) for s in args.steps.split(",")] if args.steps else None
        chosen = tuple(args.stores.split(",")) if args.stores else None
        return lambda: stores.run(args.quick, tool=args.tool, steps=steps, only=chosen)
    if name == "reliability":
        from bench import reliability

        return lambda: reliability.run(args.quick)
    if name == "instructions":
        from bench import instructions

        return lambda: instructions.run(args.quick)
    if name == "upload":
        from bench import upload

        return lambda: upload.run(args.quick)
    from bench import timecomp

    return lambda: timecomp.run(args.quick)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of {', '.join(NAMES)} (default all)"
    )
    p.add_argument(
        "--quick", action="store_true", help="a short smoke run (about 2 minutes in all)"
    )
    p.add_argument(
        "--tool",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="throughput load generator (auto: wrk when installed)",
    )
    p.add_argument(
        "--no-pin",
        action="store_true",
        help="throughput: let the scheduler place servers and load (default: servers on the "
        "last CPU, the load generator on the others)",
    )
    p.add_argument("--steps", help="SSE stream counts to step through, e.g. 500,1000,2000")
    p.add_argument(
        "--stores",
        help="stores: which rows (memory-x1,sqlite-x1,redis-x1,redis-x2; default all; the "
        "first is the baseline)",
    )
    p.add_argument(
        "--sse-servers",
        default="bare,emulator",
        help="sse: which servers (bare,emulator,emulator-sse-starlette)",
    )
    p.add_argument(
        "--prelude",
        default="",
        help="sse: Python run in the emulator process first (experiments, e.g. "
        "'import gc; gc.freeze()'); default none",
    )
    p.add_argument(
        "--profile", action="store_true", help="asgi: add a cProfile of the credits endpoint"
    )
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(unknown)} (choose from {', '.join(NAMES)})")
    names = [n for n in NAMES if n in args.names] if args.names else list(NAMES)
    _proc.raise_fd_limit()
    results: dict[str, Any] = {}
    summaries: list[str] = []
    failed = False
    t_all = time.monotonic()
    for name in names:
        print(f"\n== {name} ==", flush=True)
        t0 = time.monotonic()
        try:
            res = _runner(name, args)()
        except Exception as exc:  # one broken benchmark must not hide the others
            traceback.print_exc()
            res = {"error": f"{type(exc).__name__}: {exc}", "summary": f"{name}: ERROR {exc}"}
            failed = True
        res["seconds"] = round(time.monotonic() - t0, 1)
        res["quick"] = args.quick
        results[name] = res
        summaries.append(res["summary"])
        sys.stdout.flush()
    path = _report.write(results)
    print(f"\n== summary ({time.monotonic() - t_all:.0f}s; results in {path}) ==")
    for s in summaries:
        print(s)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
