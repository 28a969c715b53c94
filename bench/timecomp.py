"""Time compression: a 7-virtual-day scenario and a 15-minute turn cap, in wall-clock time.

7 days: mint a token, create a session, POST /_mock/clock/advance {"seconds": 604800}, the token now
answers 1001, minting again with the same client id succeeds. Timed end to end over HTTP against a
live `nemo-mock serve` (median of several runs, /_mock/reset between them); the baseline is the same
number of round trips to bare Starlette in the same run.

Turn cap: one stalled /run_sse turn (heartbeats only) at a high time_scale must reach the 900 s
virtual cap and end with the cap's error frame; wall time against the ideal 900 / time_scale.
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import httpx

from bench import _api, _proc
from bench._report import table

WEEK = 7 * 24 * 3600
TARGET_S = 1.0
CAP_SCALE = 3600.0


def _week(http: httpx.Client) -> tuple[float, list[int]]:
    client_id = str(uuid.uuid4())
    t0 = time.perf_counter()
    tok = _api.token(http, client_id)
    _api.session(http, tok)
    http.post("/_mock/clock/advance", json={"seconds": WEEK}).raise_for_status()
    expired = http.get("/api/credits/balance/simple", headers=_api.headers(tok)).json()["code"]
    again = http.post(
        "/api/auth/anonymous-token", headers={**_api.ATTRIBUTION, "X-Client-Id": client_id}
    ).json()["code"]
    return time.perf_counter() - t0, [expired, again]


def _bare_trips(http: httpx.Client, n: int = 5) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        http.get("/api/credits/balance/simple").raise_for_status()
    return time.perf_counter() - t0


def _cap(server: _proc.Server) -> dict[str, Any]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        tok = _api.token(http)
        sid = _api.session(http, tok)
        v0 = http.get("/_mock/clock").json()["data"]["now"]
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": sid,
            "new_message": {"parts": [{"text": "make the title bigger"}]},
        }
        beats, last = 0, ""
        t0 = time.perf_counter()
        with http.stream("POST", "/run_sse", headers=_api.headers(tok), json=body) as r:
            if not r.headers.get("content-type", "").startswith("text/event-stream"):
                return {"error": f"not a stream: {r.read()[:200]!r}"}
            for line in r.iter_lines():
                if line.startswith(":") or line == "data: ":
                    beats += 1
                elif line.startswith("data:"):
                    last = line
                if time.perf_counter() - t0 > 60:
                    return {"error": "no end within 60 s"}
        wall = time.perf_counter() - t0
        v1 = http.get("/_mock/clock").json()["data"]["now"]
    return {
        "wall_s": wall,
        "virtual_s": v1 - v0,
        "heartbeats": beats,
        "last_frame": last[:160],
        "capped": "turn_cap" in last,
    }


def run(quick: bool = False) -> dict[str, Any]:
    repeats = 3 if quick else 7
    from bench.sse import STALL, turns_available

    emu, bare = _proc.emulator(), _proc.bench_app("json")
    capper = None
    if turns_available():
        cap_settings = {**STALL, "time_scale": CAP_SCALE, "turn_cap": 900, "heartbeat_interval": 10}
        capper = _proc.emulator("emulator-cap", settings=cap_settings)
    try:
        emu.start()
        bare.start()
        walls, codes = [], []
        with httpx.Client(base_url=emu.url, timeout=10) as http:
            for _ in range(repeats):
                http.post("/_mock/reset").raise_for_status()
                wall, got = _week(http)
                walls.append(wall)
                codes.append(got)
        with httpx.Client(base_url=bare.url, timeout=10) as http:
            _bare_trips(http)
            base = statistics.median(_bare_trips(http) for _ in range(repeats))
        cap: dict[str, Any] | None = None
        if capper is not None:
            capper.start()
            cap = _cap(capper)
    finally:
        emu.stop()
        bare.stop()
        if capper is not None:
            capper.stop()
    week = statistics.median(walls)
    week_ok = week < TARGET_S and all(c == [1001, 0] for c in codes)
    rows = [
        [
            "7 virtual days (5 calls + advance)",
            f"{WEEK:,} s",
            week * 1000,
            f"{WEEK / week:,.0f}x",
            f"{week / base:.2f}x",
            f"codes {codes[0]}",
        ]
    ]
    if cap is not None and "error" not in cap:
        ideal = 900 / CAP_SCALE
        rows.append(
            [
                f"15-min turn cap at time_scale {CAP_SCALE:g}",
                f"{cap['virtual_s']:.0f} s",
                cap["wall_s"] * 1000,
                f"{cap['virtual_s'] / cap['wall_s']:,.0f}x",
                f"{cap['wall_s'] / ideal:.2f}x ideal",
                f"{cap['heartbeats']} heartbeats, capped={cap['capped']}",
            ]
        )
    print(
        table(
            f"Time compression (median of {repeats}; baseline: 5 GETs to bare Starlette = "
            f"{base * 1000:.1f} ms)",
            ["scenario", "virtual", "wall ms", "compression", "vs baseline", "check"],
            rows,
        )
    )
    cap_txt = (
        "turn engine not in this build"
        if cap is None
        else f"error: {cap['error']}"
        if "error" in cap
        else f"900 s cap in {cap['wall_s']:.2f} s wall (capped={cap['capped']})"
    )
    summary = (
        f"timecomp: 7 virtual days in {week * 1000:.0f} ms wall (codes {codes[0]}) - target "
        f"< {TARGET_S:.0f} s: {'PASS' if week_ok else 'FAIL'}; {cap_txt}"
    )
    print(summary)
    return {
        "week_wall_s": walls,
        "week_codes": codes,
        "baseline_s": base,
        "cap": cap,
        "pass": week_ok and (cap is None or bool(cap.get("capped"))),
        "summary": summary,
    }
