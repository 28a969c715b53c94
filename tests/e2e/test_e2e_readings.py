"""The reference client against the live emulator under every reading that changes what a client
must do (render status shape, attribution scope, 402 rule, edit charge): the journey succeeds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_mock.client import Agent, Config
from nemo_mock.server.serving import LiveServer

pytestmark = pytest.mark.live
SCALE = 600.0


@pytest.mark.parametrize(
    "reading",
    [
        pytest.param({"render_status_shape": "bare"}, id="status-bare"),
        pytest.param({"render_status_shape": "success"}, id="status-success"),
        pytest.param({"attribution_required": "everywhere"}, id="attribution-everywhere"),
        pytest.param({"export_402": "exhausted_anonymous"}, id="402-exhausted-anonymous"),
        pytest.param({"edit_charge": "turn"}, id="edit-charge-turn"),
    ],
)
def test_edit_then_export_works_under_the_reading(
    live_server: Callable[..., LiveServer], tmp_path: Path, reading: dict[str, Any]
) -> None:
    """Each reading the sources allow: an edit, then an export delivered with its claim link."""
    live = live_server(time_scale=SCALE, silent_close_rate=0.0, **reading)
    config = Config(
        api_url=live.url,
        web_url=live.url,
        state_dir=tmp_path / "state",
        time_scale=SCALE,
        download_dir=tmp_path / "downloads",
    )
    with Agent(config) as agent:
        edited = agent.handle('add a title "Hello"')
        assert edited.exit_code == 0, edited.output
        done = agent.handle("export")
    assert done.exit_code == 0, done.output
    (video,) = (tmp_path / "downloads").glob("*.mp4")
    assert video.read_bytes()[4:8] == b"ftyp"
    assert "/workspace/claim?ct=clm_" in done.output
