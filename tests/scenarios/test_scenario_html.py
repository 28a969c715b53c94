"""`nemo-mock scenarios run --html FILE`: the report of a real run (tokens as fingerprints)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from nemo_mock.cli import main

HERE = Path(__file__).parent / "broken_clients"


@pytest.mark.live
def test_html_report_of_a_token_printing_client_names_the_token_by_fingerprint(tmp_path, capsys):
    """DESIGN §3.2: the report never shows a token, even one the client printed."""
    out = tmp_path / "report.html"
    client = f"{sys.executable} {HERE / 'broken_print_token.py'}"
    assert main(["scenarios", "run", "upload-url", "--client", client, "--html", str(out)]) == 1
    assert f"HTML report written to {out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"nmv_usr_[0-9A-Za-z]{6,}", html)  # (evidence may show 4 chars)
    assert re.search(r"tok_[0-9a-f]{10}", html)
    assert 'data-run="upload-url[body]"' in html
    assert re.search(r'class="fail expectation"[^>]*data-status="fail"', html)
