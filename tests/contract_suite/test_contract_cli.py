"""`nemo-mock contract` as a user runs it: the installed command, from a directory outside the
repository, against a live emulator with `nemo-mock serve`'s default settings."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

SCRIPT = Path(sys.executable).with_name("nemo-mock")
RUN_DEADLINE = 240  # seconds: a wedged run fails instead of hanging the suite


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """`nemo-mock serve` defaults (time scale 1, heartbeats every 10 s) on a free port."""
    server = LiveServer(Settings().merged({"port": 0}))
    server.start()
    yield server.url
    server.stop()


def contract(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "nemo_mock"]
    return subprocess.run(
        [*command, "contract", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_DEADLINE,
        check=False,
    )


@pytest.mark.live
@pytest.mark.slow
def test_the_installed_command_passes_the_emulator_from_outside_the_repo(
    served: str, tmp_path: Path
) -> None:
    """DESIGN §9: `nemo-mock contract --base-url` works outside the repo and discovers the plane."""
    run = contract(
        tmp_path,
        "--base-url", served,
        "--only", "token.*", "--only", "sse.*", "--only", "render.*", "--only", "claim.*",
        "--json", "report.json",
        "--junit", "report.xml",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "control_plane  (discovered" in run.stdout
    assert "virtual_clock  (discovered" in run.stdout
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["counts"]["MUST"]["not applicable"] == 0
    assert doc["counts"]["MUST"]["pass"] == sum(r["level"] == "MUST" for r in doc["results"])
    assert {r["id"] for r in doc["results"]} >= {"token.expiry", "sse.heartbeats", "claim.page"}
    cases = ET.parse(tmp_path / "report.xml").getroot().findall("testcase")
    assert len(cases) == len(doc["results"])


@pytest.mark.live
def test_strict_fails_a_must_that_is_not_applicable(served: str, tmp_path: Path) -> None:
    """Without discovery token.expiry lacks virtual_clock: n/a, and --strict makes it fail."""
    args = ("--base-url", served, "--no-discover", "--only", "token.expiry", "--strict")
    strict = contract(tmp_path, *args)
    assert "MUST: 0 pass, 0 fail, 0 error, 1 not applicable" in strict.stdout
    assert strict.returncode == 1, strict.stdout + strict.stderr


@pytest.mark.live
def test_a_declared_capability_overrides_discovery(served: str, tmp_path: Path) -> None:
    """`--capability error_status=http` wins over the discovered `body`: status_mode then fails."""
    run = contract(
        tmp_path, "--base-url", served, "--capability", "error_status=http",
        "--only", "error.status_mode",
    )  # fmt: skip
    assert "error_status=http  (declared)" in run.stdout
    assert run.returncode == 1
    assert "FAIL           MUST   error.status_mode" in run.stdout


def test_a_remote_url_needs_allow_remote(tmp_path: Path) -> None:
    """A non-loopback target is refused unless --allow-remote (usage error, exit 2)."""
    run = contract(tmp_path, "--base-url", "http://192.0.2.1:9", "--only", "token.flow")
    assert run.returncode == 2
    assert "--allow-remote" in run.stderr
