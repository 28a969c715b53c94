"""`nemo-mock contract --html FILE`: the check results as the same self-contained HTML report."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

RUN_DEADLINE = 240  # seconds: a wedged run fails instead of hanging the suite


@pytest.mark.live
def test_contract_html_report_shows_the_failed_must_first(tmp_path: Path) -> None:
    """Issue 17: the contract command's --html FILE writes the report, failing rows first."""
    out = tmp_path / "contract.html"
    with LiveServer(Settings().merged({"port": 0})) as server:
        run = subprocess.run(
            [sys.executable, "-m", "nemo_mock", "contract", "--base-url", server.url,
             "--capability", "error_status=http", "--only", "error.status_mode",
             "--only", "token.flow", "--html", str(out)],
            cwd=tmp_path, capture_output=True, text=True, timeout=RUN_DEADLINE, check=False,
        )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    html = out.read_text(encoding="utf-8")
    rows = re.findall(r'data-status="(\w+)" data-id="([\w.]+)"', html)
    assert rows == [("fail", "error.status_mode"), ("pass", "token.flow")]
    assert not re.search(r"nmv_usr_[0-9A-Za-z]{6,}", html)
