"""In-process ASGI cost per request: the emulator's handlers vs bare Starlette, no network.

Calls each app directly (scope, receive, send) in one event loop, so it measures only what the
app adds on top of uvicorn, with little noise: the number to watch when optimising the emulator.
Times are this process's CPU time (time.process_time), so other processes on a busy machine
inflate them far less than wall time would.
The emulator rows take its one request path, as `nemo-mock serve` does: the exchange layer
(journal, fault rules, error envelopes), Starlette's router, the endpoint. The "a fault rule
installed" row adds one rule that matches nothing (every request then checks the rules).
`python -m bench asgi --profile` adds a cProfile of the emulator's credits endpoint.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import time
from typing import Any

from bench._api import ATTRIBUTION, DRAFT, state_path
from bench._report import median, table


def _scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8765),
        "headers": [(b"host", b"127.0.0.1:8765")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }


async def _per_request(app: Any, path: str, headers: dict[str, str], n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    status: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    for _ in range(min(n, 500)):  # warm-up
        await app(_scope(path, headers), receive, send)
    if status[-1] != 200:
        raise RuntimeError(f"{path} answered {status[-1]}")
    t0 = time.process_time()
    for _ in range(n):
        await app(_scope(path, headers), receive, send)
    return (time.process_time() - t0) / n * 1e6


Row = tuple[str, Any, str, dict[str, str]]  # label, app, path, headers


def _prime(app: Any) -> tuple[dict[str, str], str]:
    """A token's headers and a session id on `app`, with a render `render_bench` submitted."""
    import warnings

    with warnings.catch_warnings():  # Starlette 1.x nags about httpx; the set-up calls are fine
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient

    with TestClient(app) as c:
        tok = c.post(
            "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "bench"}
        ).json()["data"]["token"]
        hdr = {**ATTRIBUTION, "Authorization": f"Bearer {tok}"}
        sid = c.post(
            "/api/tasks/me/with-session/nemo_agent", headers=hdr, json={"task_name": "bench"}
        ).json()["data"]["session_id"]
        c.post(
            "/api/render/proxy/lambda",
            headers=hdr,
            json={"id": "render_bench", "sessionId": sid, "draft": DRAFT},
        )
    return hdr, sid


def _apps() -> list[Row]:
    from bench.apps import JSON_PATH, json_app
    from nemo_mock.server.app import create_app
    from nemo_mock.server.settings import Settings

    emu = create_app(Settings())
    hdr, sid = _prime(emu)
    faulted = create_app(Settings())
    f_hdr, _ = _prime(faulted)
    faulted.world.faults.add(
        {"match": {"path": "/nothing"}, "action": {"type": "delay", "seconds": 0}}
    )
    return [
        ("bare Starlette (baseline)", json_app(), JSON_PATH, hdr),
        ("emulator credits", emu, JSON_PATH, hdr),
        ("emulator state", emu, state_path(sid), hdr),
        ("emulator render status", emu, "/api/render/proxy/lambda/render_bench", hdr),
        ("emulator credits, a fault rule installed", faulted, JSON_PATH, f_hdr),
    ]


def run(quick: bool = False, profile: bool = False) -> dict[str, Any]:
    n, repeats = (3000, 3) if quick else (20000, 5)
    rows = _apps()

    async def measure() -> dict[str, float]:
        runs: dict[str, list[float]] = {label: [] for label, *_ in rows}
        for _ in range(repeats):
            for label, app, path, hdr in rows:
                runs[label].append(await _per_request(app, path, hdr, n))
        return {label: median(v) for label, v in runs.items()}

    us = asyncio.run(measure())
    base = us[rows[0][0]]
    print(
        table(
            f"In-process ASGI cost (CPU time, no network; {n:,} calls x {repeats}, medians)",
            ["app / endpoint", "us/request", "vs bare", "added us"],
            [[label, v, f"{v / base:.2f}x", v - base] for label, v in us.items()],
        )
    )
    out: dict[str, Any] = {"us_per_request": us, "baseline_us": base}
    if profile:
        prof = cProfile.Profile()
        _, app, path, hdr = rows[1]
        prof.enable()
        asyncio.run(_per_request(app, path, hdr, n))
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(20)
        print(text.getvalue())
        out["profile"] = text.getvalue()
    emulated = [v for label, v in us.items() if label != rows[0][0]]
    summary = (
        f"asgi: emulator endpoints cost {min(emulated):.1f}-{max(emulated):.1f} us per request "
        f"in-process vs {base:.1f} us bare ({max(emulated) / base:.2f}x at worst), one request "
        "path (exchange layer, router, endpoint)"
    )
    print(summary)
    out["summary"] = summary
    return out
