"""The HTML report of a failing scenario, opened in headless Chromium."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from nemo_mock.scenarios import CommandAdapter, load_library, run_scenario
from nemo_mock.scenarios._html import write_html

pytestmark = [pytest.mark.live, pytest.mark.browser]

BROKEN = Path(__file__).parents[1] / "scenarios" / "broken_clients"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """silent-close-after-edit run by a client that re-sends the edit after the silent close."""
    scenario = next(s for s in load_library() if s.name == "silent-close-after-edit")
    client = CommandAdapter(f"{sys.executable} {BROKEN / 'broken_resend_after_silent_close.py'}")
    result = run_scenario(scenario, client, "body")
    assert not result.passed
    return write_html([result], tmp_path_factory.mktemp("report") / "report.html")


def test_report_shows_where_the_client_went_wrong(report_file: Path, page: Any, screenshot):
    """Issue 17: a failing scenario's report shows, without the table, where the client erred."""
    page.goto(report_file.as_uri())
    run = page.locator('section.run[data-run="silent-close-after-edit[body]"]')
    assert "failed" in (run.get_attribute("class") or "")
    svg = run.locator("svg.sequence")
    # the edit stream closed silently, and a second POST /run_sse (the re-send) is flagged
    assert svg.locator('.sse[data-end="silent"]').count() >= 1
    flagged = svg.locator('.evidence-fail[data-expectations*="nothing-re-sent"]')
    assert flagged.count() >= 2
    streams = svg.locator('.exchange.stream[data-path="/run_sse"]')
    assert streams.count() >= 3  # generate, edit, the re-sent edit
    # the state poll after the close carries the state version
    polls = svg.locator('.exchange[data-path$="/latest"]')
    assert polls.count() >= 1 and "state v" in (polls.last.text_content() or "")
    # frames by kind are drawn along the streams
    assert svg.locator(".frame-heartbeat").count() >= 1
    assert svg.locator(".frame-tool_call").count() >= 1
    assert svg.locator(".frame-tool_result").count() >= 1
    # hovering the failing row lights up its exchanges
    page.hover('tr.expectation[data-id="nothing-re-sent"]')
    assert svg.locator(".exchange.hot").count() >= 2
    screenshot(page, "report-silent-close-resend")
    assert page.outside == []
