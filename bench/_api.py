"""The few emulator calls the benchmarks need to set up (token, session, render), via httpx."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

ATTRIBUTION = {
    "X-Skill-Source": "video-create",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "bench",
}
CREDITS_PATH = "/api/credits/balance/simple"  # GET: the polled credits read


def state_path(sid: str) -> str:
    """GET: session `sid`'s latest state (the polled state read)."""
    return f"/api/state/nemo_agent/me/{sid}/latest"


DRAFT = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "clip"}}]}], "d": 10000}


def envelope(r: httpx.Response) -> Any:
    """The `data` of a code-0 envelope (raises with the body otherwise)."""
    body = r.json()
    if body.get("code") != 0:
        raise RuntimeError(
            f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}"
        )
    return body["data"]


def token(http: httpx.Client, client_id: str | None = None) -> str:
    r = http.post(
        "/api/auth/anonymous-token",
        headers={**ATTRIBUTION, "X-Client-Id": client_id or str(uuid.uuid4())},
    )
    return str(envelope(r)["token"])


def headers(tok: str) -> dict[str, str]:
    return {**ATTRIBUTION, "Authorization": f"Bearer {tok}"}


def session(http: httpx.Client, tok: str, name: str = "bench") -> str:
    r = http.post(
        "/api/tasks/me/with-session/nemo_agent", headers=headers(tok), json={"task_name": name}
    )
    return str(envelope(r)["session_id"])


def render(http: httpx.Client, tok: str, sid: str, render_id: str = "render_bench") -> str:
    r = http.post(
        "/api/render/proxy/lambda",
        headers=headers(tok),
        json={
            "id": render_id,
            "sessionId": sid,
            "draft": DRAFT,
            "output": {"format": "mp4", "quality": "high"},
        },
    )
    return str(envelope(r)["id"])


def stalled_render(http: httpx.Client, tok: str, sid: str) -> str:
    """A render job that stays processing: a render_stall fault rule on its submission keeps it
    there (progress holds at 0.5 however far the clock goes); the spent rule is then removed, or
    every later request would be checked against it. The clock is advanced 120 s, past the
    longest render (90 s), and the job is checked to be processing."""
    http.post(
        "/_mock/faults",
        json={
            "match": {"method": "POST", "path": "/api/render/proxy/lambda"},
            "times": 1,
            "action": {"type": "render_stall"},
        },
    ).raise_for_status()
    rid = render(http, tok, sid, "render_bench_processing")
    http.delete("/_mock/faults").raise_for_status()
    http.post("/_mock/clock/advance", json={"seconds": 120}).raise_for_status()
    status = envelope(http.get(f"/api/render/proxy/lambda/{rid}", headers=headers(tok)))["status"]
    if status != "processing":
        raise RuntimeError(f"the stalled render job is {status}, not processing")
    return rid
