"""GET /_mock/bundle exports a run; `serve --replay` starts an emulator in that condition."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_mock.server import Settings
from nemo_mock.server.run_bundle import replay_settings
from nemo_mock.server.settings import SettingsError

SILENT = {
    "match": {"method": "POST", "path": "/run_sse"},
    "after": 1,
    "times": 1,
    "action": {"type": "sse_silent_close"},
}


def test_bundle_holds_seed_settings_faults_clock_start_and_journal(
    make_api: Callable[..., Any],
) -> None:
    """'GET /_mock/bundle exports what reproduces a run (seed, settings, fault rules, clock
    start, journal)'."""
    api = make_api(error_status="http", seed=42, clock_start=1_800_000_000.0)
    api.http.post("/_mock/faults", json=SILENT)
    api.token()
    api.advance(60)
    data = api.http.get("/_mock/bundle").json()["data"]
    assert data["format"] == "nemo-mock-run/1"
    assert data["seed"] == 42
    assert data["settings"]["error_status"] == "http"
    assert "host" not in data["settings"] and "admin_token" not in data["settings"]
    assert data["clock_start"] == 1_800_000_000.0
    assert data["clock"]["now"] == 1_800_000_060.0
    assert [(f["action"], f["after"]) for f in data["faults"]] == [
        ({"type": "sse_silent_close"}, 1)
    ]
    assert [e["path"] for e in data["journal"]] == ["/api/auth/anonymous-token"]
    assert "nmv_usr_" not in json.dumps(data)


def test_replay_settings_take_the_runs_and_keep_this_machines_host() -> None:
    """The run's seed, settings and clock start win; host/port stay the local ones."""
    run = {
        "format": "nemo-mock-run/1",
        "seed": 9,
        "clock_start": 1_900_000_000.0,
        "settings": {"error_status": "http", "host": "10.0.0.1", "silent_close_rate": 1.0},
        "faults": [{**SILENT, "id": "f1", "matched": 3, "applied": 1, "spent": True}],
    }
    settings, faults = replay_settings(run, Settings(port=0))
    assert (settings.seed, settings.error_status, settings.silent_close_rate) == (9, "http", 1.0)
    assert settings.clock_start == 1_900_000_000.0
    assert (settings.host, settings.port) == ("127.0.0.1", 0)
    assert faults == [{**SILENT, "id": "f1"}]


def test_replay_settings_refuse_an_unknown_setting() -> None:
    """A bundle with a setting this emulator does not know is a clear error."""
    run = {"format": "nemo-mock-run/1", "seed": 1, "settings": {"warp": 9}, "faults": []}
    with pytest.raises(SettingsError):
        replay_settings(run, Settings())


@pytest.mark.live
def test_serve_replay_starts_in_the_bundles_condition(tmp_path: Path) -> None:
    """`serve --replay FILE` serves with the run's seed, settings, clock start and rules."""
    run = {
        "format": "nemo-mock-run/1",
        "seed": 77,
        "clock_start": 1_900_000_000.0,
        "settings": {"error_status": "http", "time_scale": 0.0},
        "faults": [SILENT],
        "journal": [],
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"code": 0, "message": "success", "data": run}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_mock", "serve", "--port", "0", "--replay", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while "serving http" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, line
            line = proc.stdout.readline()
        url = line.split("serving ", 1)[1].split()[0]
        config = httpx.get(url + "/_mock/config", timeout=10).json()["data"]
        clock = httpx.get(url + "/_mock/clock", timeout=10).json()["data"]
        rules = httpx.get(url + "/_mock/faults", timeout=10).json()["data"]["rules"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert (config["seed"], config["error_status"]) == (77, "http")
    assert clock["now"] == 1_900_000_000.0
    assert [(r["action"]["type"], r["after"], r["matched"]) for r in rules] == [
        ("sse_silent_close", 1, 0)
    ]
