"""SSE capacity: how many concurrent streams a server holds with every heartbeat <= 1 s late.

The baseline is bare sse-starlette (bench/apps.py: one `: ping` comment per second per stream); the
emulator runs /run_sse turns with `stall_turns=true` (heartbeats only, until a cap far away), one
heartbeat per second of virtual time at time_scale 1, credits free. Each server is measured alone.

The client (this process, asyncio + uvloop, raw sockets) raises N step by step, keeping the streams
it already has open: open the new streams, let them settle, then for a hold window timestamp every
heartbeat line of every stream; lateness = gap between heartbeats - interval (a stream that went
quiet counts as late by how long it has been quiet). A step fails when any heartbeat is > 1 s late,
a stream closes or errors, or the time bound is reached. RSS per stream = server RSS growth since
start-up (minus what creating sessions cost) / N; CPU = server CPU time over the hold window.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from typing import Any

from bench import _proc
from bench._report import table
from bench._sse_client import INTERVAL, Stats, Stream, lag_probe, request_bytes

LATE_LIMIT = 1.0
TARGET_STREAMS = 15000
TARGET_KB = 25.0
STEPS = [1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 15000, 17500, 20000]
STALL = {
    "stall_turns": "true",
    "heartbeat_interval": 1,
    "time_scale": 1,
    "turn_cap": 10_000_000,
    "cost_edit": 0,
    "cost_generation": 0,
    "cost_text": 0,
    "tokens_per_ip": 1_000_000,
    "tokens_per_client": 1_000_000,
    "session_idle_timeout": 10_000_000,
}


def turns_available() -> bool:
    """True once the turn engine has landed (mock_server/turns.py with TurnOverrides)."""
    path = _proc.ROOT / "mock_server" / "turns.py"
    try:
        return "TurnOverrides" in path.read_text()
    except OSError:
        return False


# -- the client ------------------------------------------------------------------------------
async def _sessions(url: str, token: str, n: int) -> list[str]:
    """`n` new sessions for `token`, created over a few keep-alive connections."""
    import httpx

    from bench._api import headers

    out: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:

        async def worker(k: int) -> None:
            for _ in range(k):
                r = await http.post(
                    "/api/tasks/me/with-session/nemo_agent",
                    headers=headers(token),
                    json={"task_name": "sse bench"},
                )
                out.append(r.json()["data"]["session_id"])

        per = [n // 16 + (1 if i < n % 16 else 0) for i in range(16)]
        await asyncio.gather(*(worker(k) for k in per))
    return out


async def _capacity(
    server: _proc.Server,
    steps: list[int],
    window: float,
    settle: float,
    budget: float,
    emulator: bool,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    host, port = server.url.split("//", 1)[1].rsplit(":", 1)
    token = ""
    if emulator:
        import httpx

        from bench._api import token as mint

        with httpx.Client(base_url=server.url, timeout=10) as http:
            token = mint(http)
    stats = Stats()
    probe = asyncio.create_task(lag_probe(stats))
    streams: list[Stream] = []
    deadline = time.monotonic() + budget
    rss0 = server.rss_kb()
    session_kb = 0
    rows: list[dict[str, Any]] = []
    held = 0
    reason = "all steps passed"
    for n in steps:
        if time.monotonic() + settle + window + 5 > deadline:
            reason = f"time bound ({budget:.0f}s) reached before {n:,} streams"
            break
        new = n - len(streams)
        sids = [""] * new
        if emulator:
            before = server.rss_kb()
            sids = await _sessions(server.url, token, new)
            session_kb += server.rss_kb() - before
        t_open = time.monotonic()
        failed = ""
        for i in range(0, new, 250):
            batch = []
            try:
                for sid in sids[i : i + 250]:
                    req = request_bytes(host, int(port), token, sid or "bare")
                    _, proto = await loop.create_connection(
                        lambda r=req: Stream(r, stats), host, int(port)
                    )
                    batch.append(proto)
            except OSError as exc:  # e.g. EMFILE: this process's open-file limit (see README)
                streams.extend(batch)
                failed = f"client could not connect: {exc} (open-file limit {_proc.fd_limit()})"
                break
            streams.extend(batch)
            try:
                oks = await asyncio.wait_for(asyncio.gather(*(s.open for s in batch)), 30)
            except TimeoutError:
                oks = [False]
            if not all(oks):
                bad = next((s for s in batch if s.error), None)
                failed = f"stream refused: {bad.error if bad else 'no response head within 30s'}"
                break
        open_s = time.monotonic() - t_open
        if failed:
            rows.append({"streams": n, "result": failed})
            reason = failed
            break
        await asyncio.sleep(settle)
        stats.lates.clear()
        stats.ticks = 0
        for s in streams:
            s.max_late = 0.0
        stats.client_lag = 0.0
        me0 = _proc.cpu_seconds(os.getpid())
        cpu0, t0 = server.cpu(), time.monotonic()
        stats.measuring = True
        await asyncio.sleep(window)
        stats.measuring = False
        now = time.monotonic()
        cpu = (server.cpu() - cpu0) / (now - t0) * 100
        client_cpu = (_proc.cpu_seconds(os.getpid()) - me0) / (now - t0) * 100
        quiet = max((now - s.last - INTERVAL for s in streams if not s.closed), default=0.0)
        lates = sorted(stats.lates)
        worst = max(lates[-1] if lates else 0.0, quiet)
        p99 = lates[min(len(lates) - 1, int(len(lates) * 0.99))] if lates else float("nan")
        rss = server.rss_kb()
        per_stream = (rss - rss0 - session_kb) / n
        lost = sum(1 for s in streams if s.closed)
        ok = worst <= LATE_LIMIT and lost == 0 and stats.ticks > 0
        row = {
            "streams": n,
            "open_s": round(open_s, 2),
            "max_late_s": round(worst, 3),
            "p99_late_s": round(p99, 3),
            "heartbeats_per_s": round(stats.ticks / (now - t0), 1),
            "rss_mb": round(rss / 1024, 1),
            "kb_per_stream": round(per_stream, 1),
            "cpu_pct": round(cpu, 1),
            "client_cpu_pct": round(client_cpu, 1),
            "client_lag_s": round(stats.client_lag, 3),
            "lost": lost,
            "result": "ok" if ok else "FAIL",
        }
        rows.append(row)
        if not ok:
            closed = next((s for s in streams if s.closed), None)
            reason = (
                f"{lost} stream(s) closed ({closed.error if closed else ''})"
                if lost
                else f"a heartbeat {worst:.2f}s late at {n:,} streams"
            )
            break
        held = n
    for s in streams:
        if s.transport is not None:
            s.closed = True
            s.transport.close()
    probe.cancel()
    await asyncio.sleep(0.5)
    return {
        "held": held,
        "steps": rows,
        "stopped": reason,
        "rss0_mb": round(rss0 / 1024, 1),
        "session_mb": round(session_kb / 1024, 1),
    }


def measure(
    server: _proc.Server,
    steps: list[int],
    window: float,
    settle: float,
    budget: float,
    emulator: bool,
) -> dict[str, Any]:
    """Run the step loop against a started server in a fresh event loop."""
    _proc.raise_fd_limit()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    gc.collect()
    gc.freeze()  # the client's own GC must not show up as server lateness
    gc.disable()
    try:
        result: dict[str, Any] = runner(_capacity(server, steps, window, settle, budget, emulator))
    finally:
        gc.enable()
        gc.unfreeze()
    return result


def run(
    quick: bool = False,
    steps: list[int] | None = None,
    servers: tuple[str, ...] = ("bare", "emulator"),
    prelude: str = "",
) -> dict[str, Any]:
    """`prelude`: Python run in the emulator process before it starts (for experiments such as
    "import gc; gc.freeze()"); empty for the emulator exactly as users start it."""
    if quick:
        steps, window, settle, budget = steps or [200, 500], 3.0, 1.5, 25.0
    else:
        steps = steps or STEPS
        window, settle, budget = 8.0, 2.0, 600.0
    targets: list[tuple[str, _proc.Server, bool]] = []
    if "bare" in servers:
        targets.append(("bare sse-starlette (baseline)", _proc.bench_app("sse"), False))
    if turns_available() and "emulator" in servers:
        label = "emulator /run_sse (stalled turns)" + (f" [{prelude}]" if prelude else "")
        targets.append(
            (label, _proc.emulator("emulator-sse", settings=STALL, prelude=prelude), True)
        )
    if turns_available() and "emulator-sse-starlette" in servers:
        from bench.sse_starlette_engine import PRELUDE

        code = "; ".join(p for p in (prelude, PRELUDE) if p)
        server = _proc.emulator("emulator-sse-starlette", settings=STALL, prelude=code)
        targets.append(("emulator on sse-starlette (stalled turns)", server, True))
    results: dict[str, Any] = {}
    for label, server, emu in targets:
        with server:
            results[label] = measure(server, steps, window, settle, budget, emu)
    rows = []
    for label, res in results.items():
        for st in res["steps"]:
            rows.append(
                [
                    label,
                    st["streams"],
                    st.get("open_s"),
                    st.get("max_late_s"),
                    st.get("p99_late_s"),
                    st.get("rss_mb"),
                    st.get("kb_per_stream"),
                    None if st.get("cpu_pct") is None else f"{st['cpu_pct']:.0f}%",
                    None if st.get("client_cpu_pct") is None else f"{st['client_cpu_pct']:.0f}%",
                    st.get("client_lag_s"),
                    st["result"],
                ]
            )
    print(
        table(
            f"SSE capacity (heartbeat every {INTERVAL:.0f}s; a step fails when any heartbeat is "
            f"> {LATE_LIMIT:.0f}s late; hold {window:.0f}s per step)",
            [
                "server",
                "streams",
                "open s",
                "max late s",
                "p99 late s",
                "RSS MB",
                "KB/stream",
                "server CPU",
                "client CPU",
                "client lag s",
                "result",
            ],
            rows,
        )
    )
    base = results.get("bare sse-starlette (baseline)", {"held": 0, "stopped": "not measured"})
    parts = [f"bare held {base['held']:,}"]
    out: dict[str, Any] = {"servers": results, "window": window, "steps": steps}
    emu = next((v for k, v in results.items() if k.startswith("emulator /run_sse")), None)
    on_lib = results.get("emulator on sse-starlette (stalled turns)")
    if emu is None and on_lib is not None:
        kb = next(
            (s["kb_per_stream"] for s in reversed(on_lib["steps"]) if s["result"] == "ok"), None
        )
        parts.append(f"on sse-starlette the emulator held {on_lib['held']:,} ({kb} KB/stream)")
    elif emu is None:
        parts.append("emulator not measured (/run_sse turn engine not in this build)")
    else:
        kb = emu["steps"][-1].get("kb_per_stream") if emu["steps"] else None
        last_ok = [s for s in emu["steps"] if s["result"] == "ok"]
        kb = last_ok[-1]["kb_per_stream"] if last_ok else kb
        ratio = emu["held"] / base["held"] if base["held"] else float("nan")
        ok = emu["held"] >= TARGET_STREAMS and kb is not None and kb <= TARGET_KB
        verdict = (
            "PASS" if ok else ("n/a (--quick steps stay below the target)" if quick else "FAIL")
        )
        vs = f"{ratio:.2f}x bare; " if ratio == ratio else ""
        parts.append(
            f"emulator held {emu['held']:,} ({vs}{kb} KB/stream; stopped: "
            f"{emu['stopped']}) - target >= {TARGET_STREAMS:,} at <= {TARGET_KB:.0f} KB: "
            f"{verdict}"
        )
        out.update({"ratio": ratio, "pass": ok})
    if on_lib is not None and emu is not None:
        share = on_lib["held"] / emu["held"] if emu["held"] else float("nan")
        parts.append(
            f"on sse-starlette it held {on_lib['held']:,} ({share:.2f}x ours; stopped: "
            f"{on_lib['stopped']}) - usable if >= 0.90x: {'yes' if share >= 0.9 else 'no'}"
        )
        out["sse_starlette_share"] = share
    summary = "sse: " + "; ".join(parts) + f" (bare stopped: {base['stopped']})"
    print(summary)
    out["summary"] = summary
    return out
