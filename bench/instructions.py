"""CPU instructions and L1 cache misses per request under callgrind: the polled reads vs bare.

Wall-clock throughput on a shared 2-core machine moves by ±30% from one run to the next (the
baseline row alone ranged 12,600-21,500 req/s in one run while other work ran). Instruction
counts do not: callgrind counts every instruction the server process executes, and its cache
simulation the L1 instruction and data misses, the same on every run of the same code. So this
is the number to watch when changing the request path; `throughput` stays the target.

Each row is its own server process (bare Starlette, or `nemo-mock serve` as users start it) run
under `valgrind --tool=callgrind --cache-sim=yes` with collection off. The load is 4 keep-alive
connections of sequential GETs: first enough requests to fill the journal's ring (10,000 by
default) so that every measured request also evicts the oldest entry, then collection on for
the measured requests, a dump, and the totals divided by the count. Render status has two rows,
as in `throughput`: a job held processing by a render_stall rule, and a job advanced to
completed with its MP4 drawn before the warm-up (the one-off drawing is not a request's cost).
Needs valgrind (Debian package valgrind); skipped with that message without it.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench import _api, _proc
from bench._report import table

CONNECTIONS = 4
EVENTS = ("Ir", "I1mr", "D1mr", "D1mw")


def _load(port: int, path: str, headers: dict[str, str], count: int) -> None:
    """`count` sequential GETs over CONNECTIONS keep-alive connections; each must answer 200."""
    errors: list[str] = []

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            for _ in range(n):
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors.append(f"{path} answered {r.status}")
                    return
        finally:
            conn.close()

    threads = [
        threading.Thread(target=worker, args=(count // CONNECTIONS,)) for _ in range(CONNECTIONS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(errors[0])


def _prepare(url: str, row: str) -> tuple[str, dict[str, str]]:
    """The path and headers to load for `row`, with the emulator's state set up."""
    if row == "bare":
        return _api.CREDITS_PATH, dict(_api.ATTRIBUTION)
    with httpx.Client(base_url=url, timeout=120) as c:
        tok = _api.token(c)
        sid = _api.session(c, tok)
        hdr = _api.headers(tok)
        if row == "credits":
            return _api.CREDITS_PATH, hdr
        if row == "state":
            return _api.state_path(sid), hdr
        if row == "processing":
            return f"/api/render/proxy/lambda/{_api.stalled_render(c, tok, sid)}", hdr
        rid = _api.render(c, tok, sid)
        c.post("/_mock/clock/advance", json={"seconds": 3600})
        path = f"/api/render/proxy/lambda/{rid}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until completed and drawn
            if _api.envelope(c.get(path, headers=hdr)).get("output"):
                return path, hdr
            time.sleep(0.5)
    raise RuntimeError("the render job did not complete within 120 s")


def _totals(dump: Path) -> dict[str, int]:
    events: list[str] = []
    for line in dump.read_text().splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("totals:"):
            return dict(zip(events, (int(v) for v in line.split()[1:]), strict=False))
    raise RuntimeError(f"no totals in {dump}")


def _measure(row: str, warm: int, count: int, out: Path) -> dict[str, float]:
    vg = [
        "valgrind",
        "--tool=callgrind",
        "--cache-sim=yes",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}/{row}.%p.out",
    ]
    if row == "bare":
        argv = [*vg, _proc.PYTHON, "-m", "bench.apps", "json"]
    else:
        argv = [*vg, _proc.PYTHON, "-m", "nemo_mock", "serve", "--host", "127.0.0.1"]
        argv += ["--port", "0"]
    server = _proc.Server(f"callgrind-{row}", argv)
    server.start(timeout=300)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        path, headers = _prepare(server.url, row)
        _load(port, path, headers, warm)
        pid = str(server.pid)
        subprocess.run(["callgrind_control", "-i", "on", pid], capture_output=True, check=True)
        _load(port, path, headers, count)
        subprocess.run(["callgrind_control", "-d", pid], capture_output=True, check=True)
        subprocess.run(["callgrind_control", "-i", "off", pid], capture_output=True, check=False)
    finally:
        server.stop(timeout=60)
    dumps = sorted(out.glob(f"{row}.*.out.*"))  # .out.1: the dump asked for above
    if not dumps:
        raise RuntimeError(f"callgrind wrote no dump for {row}")
    totals = _totals(dumps[0])
    return {e: totals.get(e, 0) / count for e in EVENTS}


def run(quick: bool = False) -> dict[str, Any]:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        summary = "instructions: skipped (needs valgrind: Debian package valgrind)"
        print(summary)
        return {"skipped": True, "summary": summary}
    warm, count = (300, 400) if quick else (11_000, 2_000)
    rows = ("bare", "credits", "state", "processing", "render")
    labels = {
        "bare": "bare Starlette (baseline)",
        "credits": "emulator credits",
        "state": "emulator state",
        "processing": "emulator render status (processing)",
        "render": "emulator render status (completed)",
    }
    with (
        tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp,
        ThreadPoolExecutor(max_workers=2) as pool,  # two valgrind processes at a time
    ):
        futures = {r: pool.submit(_measure, r, warm, count, Path(tmp)) for r in rows}
        per = {r: f.result() for r, f in futures.items()}
    base = per["bare"]
    table_rows, data = [], []
    for r in rows:
        v = per[r]
        item = {"row": labels[r], **v}
        item.update({f"{e}_vs_bare": v[e] / base[e] if base[e] else float("nan") for e in EVENTS})
        data.append(item)
        table_rows.append(
            [
                labels[r],
                round(v["Ir"]),
                f"{item['Ir_vs_bare']:.3f}x",
                round(v["I1mr"]),
                f"{item['I1mr_vs_bare']:.2f}x",
                round(v["D1mr"] + v["D1mw"]),
                f"{(v['D1mr'] + v['D1mw']) / (base['D1mr'] + base['D1mw']):.2f}x",
            ]
        )
    print(
        table(
            f"Per request under callgrind ({count:,} GETs measured after {warm:,}, "
            f"{CONNECTIONS} connections; deterministic)",
            ["row", "instructions", "vs bare", "L1i misses", "vs bare", "L1d misses", "vs bare"],
            table_rows,
        )
    )
    worst = max(data[1:], key=lambda d: d["Ir_vs_bare"])
    summary = (
        "instructions: emulator polled reads execute "
        + ", ".join(
            f"{d['row'].removeprefix('emulator ')} {d['Ir_vs_bare']:.2f}x" for d in data[1:]
        )
        + f" bare Starlette's instructions per request (worst {worst['row']!r}); L1i misses "
        + ", ".join(f"{d['I1mr_vs_bare']:.2f}x" for d in data[1:])
        + " (diagnostic: no target)"
    )
    print(summary)
    return {"rows": data, "warm": warm, "count": count, "summary": summary}
