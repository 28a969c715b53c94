"""`nemo-mock proxy` as a command: loopback only unless told, a redacted recording, --check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from broken.original import crash_without_language
from conftest import ATTRIBUTION, settings

from nemo_mock.cli import main
from nemo_mock.server.serving import LiveServer


def test_proxy_refuses_a_non_loopback_address(capsys: pytest.CaptureFixture[str]) -> None:
    """'Refuses non-loopback listening addresses unless told' (exit 2, nothing served)."""
    status = main(["proxy", "--upstream", "http://127.0.0.1:9", "--host", "0.0.0.0"])
    assert status == 2
    assert "--allow-remote" in capsys.readouterr().err


def _run_proxy(upstream: str, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "nemo_mock", "proxy", "--upstream", upstream, "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    line = ""
    while "nemo-mock proxy on http" not in line:
        assert time.monotonic() < deadline and proc.poll() is None, line
        line = proc.stdout.readline()
    return proc, line.split(" on ", 1)[1].split()[0]


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out


@pytest.mark.live
def test_check_exits_1_on_a_must_violation_and_prints_it(tmp_path: Path) -> None:
    """--check: exit status non-zero on a MUST violation; violations printed live and summarised."""
    app, world = crash_without_language(settings(time_scale=0.0))
    with LiveServer(world.settings, world=world, app=app) as live:
        proc, url = _run_proxy(live.url, "--check")
        try:
            with httpx.Client(base_url=url, timeout=20) as http:
                token = http.post(
                    "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "c1"}
                ).json()["data"]["token"]
                r = http.post(
                    "/api/tasks/me/with-session/nemo_agent",
                    headers={**ATTRIBUTION, "Authorization": f"Bearer {token}"},
                    json={"task_name": "p"},
                )
                assert r.status_code == 500
        finally:
            status, out = _stop(proc)
    assert status == 1
    assert "[MUST] #2 envelope.json" in out
    assert "MUST   envelope.json" in out  # the summary line


@pytest.mark.live
def test_a_recording_holds_no_token(tmp_path: Path) -> None:
    """'Tokens are redacted in everything recorded': headers and bodies carry fingerprints."""
    with LiveServer(settings()) as live:
        proc, url = _run_proxy(live.url, "--record", str(tmp_path / "rec"))
        try:
            with httpx.Client(base_url=url, timeout=20) as http:
                token = http.post(
                    "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "c1"}
                ).json()["data"]["token"]
                http.get(
                    "/api/credits/balance/simple",
                    headers={**ATTRIBUTION, "Authorization": f"Bearer {token}"},
                )
        finally:
            status, _ = _stop(proc)
    assert status == 0
    text = "".join(p.read_text() for p in (tmp_path / "rec").iterdir())
    assert token.startswith("nmv_usr_") and token not in text and "nmv_usr_" not in text
    meta = json.loads((tmp_path / "rec" / "bundle.json").read_text())
    assert meta["emulator"]["seed"] == 7 and meta["exchanges"] == 2
    har = json.loads((tmp_path / "rec" / "recording.har").read_text())
    assert har["log"]["version"] == "1.2" and len(har["log"]["entries"]) == 2
