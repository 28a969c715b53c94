"""The reference client as v1.9 describes it: its files, the claim link, every render shape."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_fakes import WEB, MediaAwareBackend

from nemo_mock.client import Agent

SESSION_PATH = "/api/tasks/me/with-session/nemo_agent"
CLAIM_PATH = "/api/auth/claim-token"
STATUS_PATH = "/api/render/proxy/lambda/"


def test_client_id_file_holds_the_uuid_only(
    make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """v1.9 §1: `~/.config/nemovideo/client_id` holds the client id — 'UUID only, no secrets'."""
    make_agent().handle("credits")
    text = (tmp_path / "state" / "client_id").read_text()
    assert str(uuid.UUID(text.strip())) == text.strip() and text.count("\n") == 1


def test_the_token_is_kept_out_of_world_readable_files(
    make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """Deviation (client/_state.py): the minted token is kept, in a 0600 file, 0700 directory."""
    make_agent().handle("credits")
    state = tmp_path / "state"
    assert stat.S_IMODE(state.stat().st_mode) & 0o077 == 0
    for path in state.iterdir():
        if "nmv_usr_" in path.read_text():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert "nmv_usr_" not in (state / "client_id").read_text()


def test_a_client_id_from_an_older_state_file_is_kept(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """A client id saved inside state.json by an older version is reused, then moved to its file."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "state.json").write_text(json.dumps({"client_id": "old-id"}))
    make_agent().handle("credits")
    assert backend.requests[0].headers["X-Client-Id"] == "old-id"
    assert (state / "client_id").read_text().strip() == "old-id"
    assert "client_id" not in json.loads((state / "state.json").read_text())


def test_claim_link_is_fetched_right_after_session_creation(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """v1.9 §3.0: 'After creating a session, get a claim token … and give the user a link'."""
    outcome = make_agent().handle("credits")
    paths = [r.url.path for r in backend.requests]
    assert paths.index(CLAIM_PATH) == paths.index(SESSION_PATH) + 1
    assert json.loads(backend.calls("POST", CLAIM_PATH)[0].content) == {
        "task_id": "task_1",
        "session_id": "s_1",
    }
    assert f"{WEB}/workspace/claim?ct=clm_abc" in outcome.output


def test_export_gives_the_claim_link_of_session_creation(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """v1.9 §3.5e: 'use the claim token obtained in §3.0' — one claim request in all."""
    make_agent().handle("credits")
    done = make_agent().handle("export")
    assert done.exit_code == 0, done.output
    assert f"{WEB}/workspace/claim?ct=clm_abc" in done.output
    assert len(backend.calls("POST", CLAIM_PATH)) == 1


def _status_reply(shape: str) -> Callable[[httpx.Request], httpx.Response]:
    def reply(request: httpx.Request) -> httpx.Response:
        rid = request.url.path.rsplit("/", 1)[1]
        job = {
            "id": rid,
            "status": "completed",
            "progress": 1.0,
            "output": {"url": f"/media/renders/{rid}.mp4", "size": 9, "duration": 3.0},
            "error": None,
        }
        body: dict[str, Any] = {
            "envelope": {"code": 0, "message": "success", "data": job},
            "bare": job,
            "success": {"success": True, "data": job},
        }[shape]
        return httpx.Response(200, json=body)

    return reply


@pytest.mark.parametrize("shape", ["envelope", "bare", "success"])
def test_render_status_is_read_in_every_shape(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], shape: str
) -> None:
    """v1.9 §3.5 'Status at top-level `status`', the envelope, or {success, data}: all read."""
    original = backend.handle

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(STATUS_PATH):
            backend.requests.append(request)
            return _status_reply(shape)(request)
        return original(request)

    backend.handle = handle  # type: ignore[method-assign]
    done = make_agent().handle("export")
    assert done.exit_code == 0, done.output
    assert "Your video is ready" in done.output
    assert backend.calls("GET", "/media/renders/")
