"""What `pip install` puts into a user's environment: one package, two commands, one plugin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The project's wheel, built offline from a copy of this checkout (builds write build/)."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "src"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*cache", "peers", "results"
    )
    shutil.copytree(ROOT, source, ignore=skip)
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    result = subprocess.run(
        [*build, "-w", str(out), str(source)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (path,) = out.glob("nemo_mock-*.whl")
    return zipfile.ZipFile(path)


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    (member,) = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(member).decode()


@pytest.mark.slow
def test_the_wheel_installs_one_top_level_package(wheel: zipfile.ZipFile) -> None:
    """top_level.txt names only `nemo_mock`, and every file lives under it."""
    assert _dist_info(wheel, "top_level.txt").split() == ["nemo_mock"]
    tops = {n.split("/")[0] for n in wheel.namelist() if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"nemo_mock"}


@pytest.mark.slow
def test_the_wheel_ships_the_data_the_code_reads(wheel: zipfile.ZipFile) -> None:
    """The contract documents, the scenario library and the served media are in the wheel."""
    names = set(wheel.namelist())
    for needed in (
        "nemo_mock/contracts/openapi.yaml",
        "nemo_mock/contracts/control-openapi.yaml",
        "nemo_mock/contracts/schemas/adk_event.json",
        "nemo_mock/scenarios/schema.json",
        "nemo_mock/scenarios/library/silent-close-after-edit.yaml",
        "nemo_mock/cli.py",
        "nemo_mock/server/app.py",
        "nemo_mock/client/cli.py",
    ):
        assert needed in names


@pytest.mark.slow
def test_the_wheel_declares_the_commands_and_the_plugin(wheel: zipfile.ZipFile) -> None:
    """Console scripts nemo-mock / nemo-client and the pytest11 entry point `nemo_mock`."""
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "nemo-mock = nemo_mock.cli:main" in entry_points
    assert "nemo-client = nemo_mock.client.cli:main" in entry_points
    assert "nemo_mock = nemo_mock.server.pytest_plugin" in entry_points


USER_TEST = """
import httpx

import client
import contracts


def test_my_own_packages_and_the_fixture(nemo_mock):
    assert client.MINE and contracts.MINE  # the user's packages, not ours
    r = httpx.post(nemo_mock.url + "/api/auth/anonymous-token", headers={"X-Client-Id": "me"})
    assert r.json()["code"] == 0
    nemo_mock.journal.expect().request("POST", "/api/auth/anonymous-token").once()
"""


@pytest.mark.slow
def test_a_project_with_its_own_client_and_contracts_runs_the_plugin(tmp_path: Path) -> None:
    """A user's `client/` and `contracts/` packages do not shadow the plugin's imports."""
    for name in ("client", "contracts", "scenarios", "mock_server"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("MINE = True\n")
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TEST))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


CONTRACT_RUN = """
import sys

import nemo_mock
from nemo_mock.cli import main

assert nemo_mock.__file__.startswith(sys.argv[1]), nemo_mock.__file__  # the wheel's copy
sys.exit(main(["contract", "--base-url", sys.argv[2], "--only", "token.*", "--only", "claim.*"]))
"""


@pytest.mark.slow
@pytest.mark.live
def test_the_wheel_alone_runs_the_contract_suite(wheel: zipfile.ZipFile, tmp_path: Path) -> None:
    """`nemo-mock contract` needs nothing from the checkout: the wheel's files, outside the repo."""
    site = tmp_path / "site"
    wheel.extractall(site)
    (tmp_path / "run.py").write_text(CONTRACT_RUN)
    env = {**os.environ, "PYTHONPATH": str(site)}  # the path finder wins over the editable one
    with LiveServer(Settings().merged({"port": 0})) as server:
        result = subprocess.run(
            [sys.executable, "run.py", str(site), server.url],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "control_plane  (discovered" in result.stdout
    assert "MUST: 9 pass, 0 fail, 0 error, 0 not applicable" in result.stdout
