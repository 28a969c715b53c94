"""The reference client against the live emulator: the whole journey, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nemo_mock.client import Agent, Config
from nemo_mock.server import renders
from nemo_mock.server.serving import LiveServer

pytestmark = pytest.mark.live
SCALE = 600.0  # ten virtual minutes per real second, on both sides


def _agent(live: LiveServer, tmp_path: Path) -> Agent:
    config = Config(
        api_url=live.url,
        web_url=live.url,
        state_dir=tmp_path / "state",
        time_scale=SCALE,
        download_dir=tmp_path / "downloads",
    )
    return Agent(config)


def _token(tmp_path: Path, live: LiveServer) -> str:
    tokens = list(live.world.tokens)
    assert len(tokens) == 1
    return tokens[0]


def test_generate_then_export_writes_the_served_mp4(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """'Upload → "turn these photos into a … video" → Download MP4.'"""
    live = live_server(time_scale=SCALE)
    with _agent(live, tmp_path) as agent:
        made = agent.handle("generate a 30-second promotional video with background music")
        assert made.exit_code == 0, made.output
        done = agent.handle("export")
    assert done.exit_code == 0, done.output
    files = list((tmp_path / "downloads").glob("*.mp4"))
    assert len(files) == 1
    media = renders.media_ready(live.world, next(iter(live.world.renders.values())))
    assert media is not None and files[0].read_bytes() == media.read_bytes()
    assert "/workspace/claim?ct=clm_" in done.output


def test_silent_close_yields_a_state_summary_and_no_resend(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """'~30% of edits close with no text: poll state, then summarize changes to the user.'"""
    live = live_server(time_scale=SCALE, silent_close_rate=1.0)
    with _agent(live, tmp_path) as agent:
        outcome = agent.handle("add background music")
    assert outcome.exit_code == 0, outcome.output
    assert "Timeline (" in outcome.output
    assert len(live.world.journal.query({"path": "/run_sse"})) == 1


def test_token_never_in_output_or_any_url(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    """'Don't print tokens or raw JSON'; a token must never appear in a URL."""
    live = live_server(time_scale=SCALE)
    env = {
        **os.environ,
        "NEMO_API_URL": live.url,
        "NEMO_WEB_URL": live.url,
        "NEMO_STATE_DIR": str(tmp_path / "state"),
        "NEMO_TIME_SCALE": str(SCALE),
        "NEMO_DOWNLOAD_DIR": str(tmp_path),
    }
    env.pop("NEMO_TOKEN", None)
    outputs = []
    for words in (["credits"], ["say", "add a title"], ["status"], ["export"]):
        done = subprocess.run(
            [sys.executable, "-m", "nemo_mock.client.cli", *words],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        outputs.append(done.stdout + done.stderr)
    token = _token(tmp_path, live)
    assert all(token not in text for text in outputs)
    urls = [e["path"] + "?" + e["query"] for e in live.world.journal]
    assert len(urls) >= 5 and all(token not in u for u in urls)
