"""The export workflow (client/_export.py through the Agent)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
from client_fakes import WEB, MediaAwareBackend

from nemo_mock.client import Agent, Config
from nemo_mock.client._export import RenderIds
from nemo_mock.client._routing import route

RENDER = "/api/render/proxy/lambda"


def _submitted(backend: MediaAwareBackend) -> list[dict[str, object]]:
    return [json.loads(r.content) for r in backend.calls("POST", RENDER)]


def test_export_submits_polls_downloads_and_gives_a_claim_link(
    backend: MediaAwareBackend,
    make_agent: Callable[..., Agent],
    sleeps: list[float],
    tmp_path: Path,
) -> None:
    """Submit, poll every 30 s with progress, download from output.url, claim link (not token)."""
    backend.render_script = [{"status": "processing", "progress": 0.5}, {"status": "completed"}]
    outcome = make_agent().handle("export")
    assert outcome.exit_code == 0, outcome.output
    (body,) = _submitted(backend)
    assert str(body["id"]).startswith("render_")
    assert body["sessionId"] == "s_1"
    assert body["draft"] == backend.draft
    assert body["output"] == {"format": "mp4", "quality": "high"}
    assert sleeps == [30.0, 30.0]
    assert "Rendering... 50%" in outcome.output and "Rendering... 100%" in outcome.output
    saved = tmp_path / "downloads" / f"{body['id']}.mp4"
    assert saved.read_bytes() == b"MP4-BYTES"
    (media,) = backend.calls("GET", "/media/")
    assert "Authorization" not in media.headers
    claim = backend.calls("POST", "/api/auth/claim-token")[0]
    assert json.loads(claim.content) == {"task_id": "task_1", "session_id": "s_1"}
    assert f"{WEB}/workspace/claim?ct=clm_abc" in outcome.output
    assert "SECRET" not in outcome.output


def test_export_with_an_empty_draft_submits_nothing(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """Pre-check the draft has content before submitting a render."""
    backend.draft = {"t": [], "d": 0}
    outcome = make_agent().handle("export")
    assert outcome.exit_code == 1
    assert "nothing to export" in outcome.output
    assert backend.calls("POST", RENDER) == []


def test_export_polls_at_most_ten_times_30_seconds_apart(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], sleeps: list[float]
) -> None:
    """Poll every 30 s up to 10 times; still running after that → a timeout (exit 3)."""
    backend.render_script = [{"status": "processing", "progress": 0.1}] * 20
    outcome = make_agent().handle("export")
    assert outcome.exit_code == 3
    assert len(backend.calls("GET", RENDER + "/")) == 10
    assert sleeps == [30.0] * 10
    assert len(backend.calls("POST", RENDER)) == 1


def test_failed_render_is_retried_once_with_a_new_id(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """On failure (status failed) a new id and one retry."""
    backend.render_script = [{"status": "failed", "error": "gpu"}, {"status": "completed"}]
    outcome = make_agent().handle("export")
    assert outcome.exit_code == 0, outcome.output
    ids = [b["id"] for b in _submitted(backend)]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_second_render_failure_is_reported(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """One retry only: a second failure is reported (exit 1)."""
    backend.render_script = [{"status": "failed", "error": "gpu"}] * 2
    outcome = make_agent().handle("export")
    assert outcome.exit_code == 1
    assert len(_submitted(backend)) == 2
    assert "failed twice" in outcome.output


def test_fallback_download_when_output_url_fails(
    backend: MediaAwareBackend, config: Config, tmp_path: Path
) -> None:
    """Download from output.url, else the fallback GET /api/render/proxy/<id>/download (auth)."""
    ids = RenderIds(now=lambda: 1.0)
    backend.once("GET", "/media/renders/render_1000.mp4", httpx.Response(404))
    out = tmp_path / "out.mp4"
    with Agent(config, backend.transport, sleep=lambda _s: None, new_render_id=ids) as agent:
        outcome = agent.run(route("export -o out.mp4"), dest=out)
    assert outcome.exit_code == 0, outcome.output
    (fallback,) = backend.calls("GET", "/api/render/proxy/render_1000/download")
    assert fallback.headers["Authorization"].startswith("Bearer ")
    assert out.read_bytes() == b"MP4-FALLBACK"


def test_402_on_export_is_not_a_credits_problem(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """402 → "Register or upgrade your plan to unlock export." (not a credits problem)."""
    backend.mode = mode
    backend.once("POST", RENDER, backend.error(402))
    outcome = make_agent().handle("导出")
    assert outcome.exit_code == 1
    assert outcome.output.endswith("Register or upgrade your plan to unlock export.")
    assert "credit" not in outcome.output.lower()


def test_render_ids_are_always_fresh() -> None:
    """A retry never reuses an id: render_<ts> grows even within one millisecond."""
    ids = RenderIds(now=lambda: 5.0)
    assert [ids(), ids()] == ["render_5000", "render_5001"]
