"""In-process ASGI cost per request: the emulator's handlers vs bare Starlette, no network.

Calls each app directly (scope, receive, send) in one event loop, so it measures only what the
app adds on top of uvicorn, with little noise: the number to watch when optimising the emulator.
Rows marked "route only" use the same routes, handlers and exception handlers in a plain
Starlette app: no journal, no fault layer and no fast path for the polled reads (mock_server/
polled.py). The emulator rows have all three, as `nemo-mock serve` does.
`python -m bench asgi --profile` adds a cProfile of the emulator's credits endpoint.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import time
from typing import Any

from starlette.applications import Starlette

from bench._api import ATTRIBUTION, DRAFT
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
    t0 = time.perf_counter()
    for _ in range(n):
        await app(_scope(path, headers), receive, send)
    return (time.perf_counter() - t0) / n * 1e6


def _apps() -> tuple[list[tuple[str, Any, str]], dict[str, str]]:
    import warnings

    from starlette.exceptions import HTTPException

    with warnings.catch_warnings():  # Starlette 1.x nags about httpx; the set-up calls are fine
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient

    from bench.apps import JSON_PATH, json_app
    from nemo_mock.server import app as app_module
    from nemo_mock.server.errors import ApiError
    from nemo_mock.server.settings import Settings
    from nemo_mock.server.world import World

    world = World(Settings())
    emu = app_module.create_app(world.settings, world)
    bare_routes = Starlette(
        routes=[*app_module.api_routes(), *app_module.control_routes()],
        exception_handlers={
            ApiError: app_module._on_api_error,
            HTTPException: app_module._on_http_error,
            Exception: app_module._on_crash,
        },
    )
    bare_routes.state.world = world
    with TestClient(emu) as c:
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
    state = f"/api/state/nemo_agent/me/{sid}/latest"
    render = "/api/render/proxy/lambda/render_bench"
    return [
        ("bare Starlette (baseline)", json_app(), JSON_PATH),
        ("emulator credits", emu, JSON_PATH),
        ("emulator credits, route only", bare_routes, JSON_PATH),
        ("emulator state", emu, state),
        ("emulator state, route only", bare_routes, state),
        ("emulator render status", emu, render),
        ("emulator render status, route only", bare_routes, render),
    ], hdr


def run(quick: bool = False, profile: bool = False) -> dict[str, Any]:
    n, repeats = (3000, 3) if quick else (20000, 5)
    rows, hdr = _apps()

    async def measure() -> dict[str, float]:
        runs: dict[str, list[float]] = {label: [] for label, _, _ in rows}
        for _ in range(repeats):
            for label, app, path in rows:
                runs[label].append(await _per_request(app, path, hdr, n))
        return {label: median(v) for label, v in runs.items()}

    us = asyncio.run(measure())
    base = us[rows[0][0]]
    print(
        table(
            f"In-process ASGI cost (no network; {n:,} calls x {repeats}, medians)",
            ["app / endpoint", "us/request", "vs bare", "added us"],
            [[label, v, f"{v / base:.2f}x", v - base] for label, v in us.items()],
        )
    )
    out: dict[str, Any] = {"us_per_request": us, "baseline_us": base}
    if profile:
        prof = cProfile.Profile()
        app, path = rows[1][1], rows[1][2]
        prof.enable()
        asyncio.run(_per_request(app, path, hdr, n))
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(20)
        print(text.getvalue())
        out["profile"] = text.getvalue()
    worst = max((v for k, v in us.items() if "route only" not in k and k != rows[0][0]))
    saved = us["emulator credits"] - us["emulator credits, route only"]
    summary = (
        f"asgi: emulator endpoints cost {us['emulator credits']:.1f}-{worst:.1f} us per request "
        f"in-process vs {base:.1f} us bare ({worst / base:.2f}x at worst); with journal and "
        f"fast path, credits costs {saved:+.1f} us against its bare route"
    )
    print(summary)
    out["summary"] = summary
    return out
