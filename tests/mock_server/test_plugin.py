"""The pytest plugin (entry point `nemo_mock`): the fixture, per-test reset and settings."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from nemo_mock.server import pytest_plugin


def _run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NEMO_MOCK_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(directory)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ini_option_sets_session_defaults(tmp_path: Path) -> None:
    """In a bare project (plugin loaded by the entry point) the ini option sets the defaults."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nnemo_mock_settings =\n    seed=42\n    error_status=http\n"
    )
    (tmp_path / "test_it.py").write_text(
        textwrap.dedent("""
        def test_seed(nemo_mock):
            assert nemo_mock.settings.seed == 42
            assert nemo_mock.settings.error_status == "http"
    """)
    )
    result = _run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]


def test_settings_fixture_can_be_overridden(tmp_path: Path) -> None:
    """Overriding the `nemo_mock_settings` fixture in a conftest changes the defaults."""
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent("""
        import pytest

        @pytest.fixture(scope="session")
        def nemo_mock_settings():
            return {"seed": 5, "silent_close_rate": 1.0}
    """)
    )
    (tmp_path / "test_it.py").write_text(
        textwrap.dedent("""
        def test_seed(nemo_mock):
            assert (nemo_mock.settings.seed, nemo_mock.settings.silent_close_rate) == (5, 1.0)

        def test_configure_is_undone(nemo_mock):
            nemo_mock.configure(silent_close_rate=0.0)
            assert nemo_mock.settings.silent_close_rate == 0.0

        def test_after(nemo_mock):
            assert nemo_mock.settings.silent_close_rate == 1.0
    """)
    )
    result = _run_pytest(tmp_path, "-p", "no:randomly")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "3 passed" in result.stdout


def test_bad_ini_line_is_a_usage_error(tmp_path: Path) -> None:
    """An ini line without `=` stops the run with a clear message."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nnemo_mock_settings =\n    seed\n")
    (tmp_path / "test_it.py").write_text("def test_x(nemo_mock):\n    pass\n")
    result = _run_pytest(tmp_path)
    assert result.returncode != 0 and "expected NAME=VALUE" in (result.stdout + result.stderr)


def test_handle_serves_on_loopback(nemo_mock: pytest_plugin.NemoMock) -> None:
    """The fixture's `url` is a live loopback emulator."""
    assert nemo_mock.url.startswith("http://127.0.0.1:")
    r = httpx.get(nemo_mock.url + "/_mock/health", timeout=10.0)
    assert r.json()["data"]["seed"] == nemo_mock.settings.seed


def test_handle_scenario_applies_a_server_block(nemo_mock: pytest_plugin.NemoMock) -> None:
    """`nemo_mock.scenario({...})` applies a server block (here: a fault rule)."""
    nemo_mock.scenario({"server": {"faults": [{"action": {"type": "error", "code": 429}}]}})
    r = httpx.post(
        nemo_mock.url + "/api/auth/anonymous-token", headers={"X-Client-Id": "x"}, timeout=10.0
    )
    assert r.json()["code"] == 429
