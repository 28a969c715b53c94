"""An emulator run as a bundle: what reproduces it elsewhere (GET /_mock/bundle, serve --replay).

The bundle holds the seed, the settings, the fault rules as they were configured (their counters
are kept for reading but start again from zero on replay), the virtual time the run started at
and the journal (tokens already fingerprints). `nemo-mock serve --replay FILE` starts an emulator
with those settings, that clock start and those rules, so a CI failure can be re-run on a laptop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nemo_mock.server.settings import Settings, SettingsError
from nemo_mock.server.world import World

FORMAT = "nemo-mock-run/1"
#: settings that belong to the machine serving the run, not to the run itself
LOCAL = ("host", "port", "admin_token", "allow_remote_admin", "state_file", "access_log")
_RULE_KEYS = ("id", "match", "times", "probability", "after", "action", "note")


def dump_run(world: World) -> dict[str, Any]:
    """The run of `world` as a bundle (JSON-able)."""
    settings = world.settings.public()
    return {
        "format": FORMAT,
        "seed": world.settings.seed,
        "settings": {k: v for k, v in settings.items() if k not in LOCAL},
        "clock_start": world.clock_start,
        "clock": world.clock.state(),
        "faults": [r.to_json() for r in world.faults.rules()],
        "journal": list(world.journal),
        "journal_dropped": world.journal.dropped,
    }


def read_run(path: str | Path) -> dict[str, Any]:
    """A bundle file; raises SettingsError naming what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path}: not a run bundle ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]  # saved straight from GET /_mock/bundle, envelope and all
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SettingsError(f"{path}: `format` must be {FORMAT!r}")
    return data


def replay_settings(run: dict[str, Any], base: Settings) -> tuple[Settings, list[dict[str, Any]]]:
    """`base` (host, port, ... of this machine) with the run's settings and clock start, and the
    run's fault rules as specs (counters back at zero)."""
    given = run.get("settings") or {}
    if not isinstance(given, dict):
        raise SettingsError("bundle `settings` must be an object")
    overrides = {k: v for k, v in given.items() if k not in LOCAL}
    overrides["seed"] = run.get("seed", overrides.get("seed", 0))
    overrides["clock_start"] = run.get("clock_start")
    try:
        settings = base.merged(overrides)
    except TypeError as exc:
        raise SettingsError(f"bundle settings: {exc}") from exc
    faults = [
        {k: rule[k] for k in _RULE_KEYS if rule.get(k) is not None}
        for rule in run.get("faults") or []
        if isinstance(rule, dict)
    ]
    return settings, faults
