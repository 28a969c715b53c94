"""Our own emulator as a target: a LiveServer on 127.0.0.1 (free port), found by discovery."""

from __future__ import annotations

from typing import Any

from nemo_mock.contract_suite import Target, discover
from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

CLOCK_START = 1_800_000_000.0
# `nemo-mock serve` defaults (time_scale 1, heartbeats every 10 s): the suite itself speeds time
# up through the control plane, as it does against `make run`.
SELF_SETTINGS: dict[str, Any] = {"seed": 1234, "clock_start": CLOCK_START}
FUZZ_EXAMPLES = 6


def start_emulator(error_status: str, **overrides: Any) -> LiveServer:
    settings = Settings().merged({**SELF_SETTINGS, "error_status": error_status, **overrides})
    server = LiveServer(settings)
    server.start()
    return server


def emulator_target(url: str, label: str) -> Target:
    """A target whose capabilities are discovered, as `nemo-mock contract` does."""
    caps, _notes = discover(url)
    return Target(url, caps, label=label, fuzz_examples=FUZZ_EXAMPLES)
