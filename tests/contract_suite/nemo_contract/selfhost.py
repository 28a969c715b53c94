"""Our own emulator as a target: a LiveServer on 127.0.0.1 (free port) per error_status mode."""

from __future__ import annotations

from typing import Any

from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

from .target import ALL_CAPABILITIES, Capabilities, Target

CLOCK_START = 1_800_000_000.0
# Fast virtual time: a 10-30 s edit turn takes 0.1-0.3 s, a heartbeat every 0.1 s; renders are
# driven by explicit clock advances, tokens expire by advance (7 days would be 100 minutes real).
SELF_SETTINGS: dict[str, Any] = {"seed": 1234, "clock_start": CLOCK_START, "time_scale": 100.0}


def start_emulator(error_status: str, **overrides: Any) -> LiveServer:
    settings = Settings().merged({**SELF_SETTINGS, "error_status": error_status, **overrides})
    server = LiveServer(settings)
    server.start()
    return server


def emulator_target(url: str, error_status: str, **kwargs: Any) -> Target:
    """A target for an emulator we started: every capability declared."""
    caps = Capabilities(frozenset(ALL_CAPABILITIES), error_status)
    return Target(url, caps, label=f"emulator[{error_status}]", **kwargs)


def runs_sse(target: Target) -> bool:
    """False while the emulator answers /run_sse with its 501 placeholder (turn engine pending)."""
    token = target.mint().token
    r = target.http.post(
        "/run_sse",
        headers=target.headers(token),
        json={
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": "probe",
            "new_message": {"parts": [{"text": "hi"}]},
        },
    )
    try:
        return not (
            r.headers.get("content-type", "").startswith("application/json")
            and r.json().get("code") == 501
        )
    except ValueError:
        return True
