"""Bootstrap and the seeds' error table, in both error_status modes (client/_workflow.py)."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

from client_fakes import WEB, MediaAwareBackend

from nemo_mock.client import Agent

TOKEN_PATH = "/api/auth/anonymous-token"
SESSION_PATH = "/api/tasks/me/with-session/nemo_agent"
CREDITS_PATH = "/api/credits/balance/simple"


def test_bootstrap_mints_an_anonymous_token_and_a_session(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """No NEMO_TOKEN: anonymous token with a uuid4 client id, then a session; the id is kept in
    its own file (v1.9: "UUID only, no secrets"), the rest in state.json, mode 0600."""
    outcome = make_agent().handle("credits")
    assert outcome.exit_code == 0
    assert "70 available" in outcome.output
    token_req, session_req = (
        backend.calls("POST", TOKEN_PATH)[0],
        backend.calls("POST", SESSION_PATH)[0],
    )
    client_id = token_req.headers["X-Client-Id"]
    assert uuid.UUID(client_id).version == 4
    assert "Authorization" not in token_req.headers
    assert json.loads(session_req.content) == {"task_name": "project", "language": "en"}
    path = tmp_path / "state" / "state.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert (tmp_path / "state" / "client_id").read_text() == client_id + "\n"
    assert "client_id" not in saved
    assert (saved["session_id"], saved["task_id"]) == ("s_1", "task_1")


def test_state_is_reused_across_runs(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """The persisted token and session are used by the next run (one process per utterance)."""
    make_agent().handle("credits")
    make_agent().handle("status")
    assert len(backend.calls("POST", TOKEN_PATH)) == 1
    assert len(backend.calls("POST", SESSION_PATH)) == 1


def test_nemo_token_is_used_directly(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """If NEMO_TOKEN is set, use it directly and create a session; it is never written down."""
    backend.tokens.add("nmv_usr_MINE")
    assert make_agent(token="nmv_usr_MINE").handle("credits").exit_code == 0
    assert backend.calls("POST", TOKEN_PATH) == []
    assert backend.calls("GET", CREDITS_PATH)[0].headers["Authorization"] == "Bearer nmv_usr_MINE"
    assert "nmv_usr_MINE" not in (tmp_path / "state" / "state.json").read_text()


def test_attribution_headers_on_every_request(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """All requests must include X-Skill-Source, X-Skill-Version, X-Skill-Platform."""
    make_agent(skill_platform="clawhub").handle("credits")
    assert len(backend.requests) == 4  # token, session, claim token, credits
    for request in backend.requests:
        assert request.headers["X-Skill-Source"] == "video-create"
        assert request.headers["X-Skill-Version"] == "1.0.0"
        assert request.headers["X-Skill-Platform"] == "clawhub"


def test_1001_reauths_with_the_same_client_id_and_retries_once(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """1001 → a new anonymous token with the same client id, then the request once more."""
    backend.mode = mode
    agent = make_agent()
    agent.handle("credits")
    backend.tokens.clear()  # the token expired
    outcome = agent.handle("credits")
    assert outcome.exit_code == 0
    mints = backend.calls("POST", TOKEN_PATH)
    assert len(mints) == 2
    assert mints[0].headers["X-Client-Id"] == mints[1].headers["X-Client-Id"]
    assert len(backend.calls("GET", CREDITS_PATH)) == 3  # ok, 1001, retried ok


def test_1001_twice_is_reported_not_looped(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """Re-auth and retry once only."""
    backend.mode = mode
    agent = make_agent()
    agent.handle("credits")
    backend.once("GET", CREDITS_PATH, backend.error(1001))
    backend.once("GET", CREDITS_PATH, backend.error(1001))
    outcome = agent.handle("credits")
    assert outcome.exit_code == 1
    assert len(backend.calls("POST", TOKEN_PATH)) == 2


def test_1002_creates_a_new_session_and_says_the_timeline_is_gone(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """1002 → a new session, telling the user the old timeline is gone."""
    backend.mode = mode
    agent = make_agent()
    agent.handle("status")
    backend.once("GET", "/api/state/nemo_agent/me/s_1/latest", backend.error(1002))
    outcome = agent.handle("status")
    assert outcome.exit_code == 0
    assert "timeline is gone" in outcome.output
    assert backend.calls("GET", "/api/state/nemo_agent/me/s_2/latest")
    assert agent.session_id == "s_2"


def test_2001_anonymous_gets_the_registration_url(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """2001, anonymous: the registration URL <NEMO_WEB_URL>/register?bind=<id> (data.bind_id)."""
    backend.mode = mode
    backend.once("POST", "/run_sse", backend.error(2001, {"bind_id": "task_77"}))
    outcome = make_agent().handle("generate a beach video")
    assert outcome.exit_code == 1
    assert f"{WEB}/register?bind=task_77" in outcome.output
    assert len(backend.calls("POST", "/run_sse")) == 1


def test_2001_without_bind_id_uses_the_task_id(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """?bind=<id>: get <id> from create-session when the error does not carry one."""
    backend.mode = mode
    backend.once("POST", "/run_sse", backend.error(2001))
    assert f"{WEB}/register?bind=task_1" in make_agent().handle("generate").output


def test_2001_registered_is_told_to_top_up(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """2001, registered (NEMO_TOKEN supplied): "Top up credits in your account"."""
    backend.mode = mode
    backend.tokens.add("nmv_usr_MINE")
    backend.once("POST", "/run_sse", backend.error(2001))
    outcome = make_agent(token="nmv_usr_MINE").handle("generate")
    assert "Top up credits in your account" in outcome.output
    assert "register?bind" not in outcome.output


def test_4001_shows_the_supported_formats(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str, tmp_path: Path
) -> None:
    """4001 → show the supported formats."""
    backend.mode = mode
    photo = tmp_path / "photo.heic"
    photo.write_bytes(b"x")
    backend.once("POST", "/api/upload-video/nemo_agent/me/s_1", backend.error(4001))
    outcome = make_agent().handle(f"upload {photo}")
    assert outcome.exit_code == 1
    assert "mp4, mov, avi, webm, mkv" in outcome.output and "aac" in outcome.output


def test_4002_suggests_compress_or_trim(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """4002 → suggest compress or trim."""
    backend.mode = mode
    backend.once("POST", "/api/upload-video/nemo_agent/me/s_1", backend.error(4002))
    outcome = make_agent().handle("upload https://example.com/huge.mp4")
    assert outcome.exit_code == 1
    assert "Compress or trim" in outcome.output and "500 MB" in outcome.output


def test_400_gets_a_new_client_id_and_one_retry(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """400 (missing X-Client-Id) → generate a new client id and retry once."""
    backend.once("POST", TOKEN_PATH, backend.error(400))
    agent = make_agent(client_id="")
    assert agent.handle("credits").exit_code == 0
    mints = backend.calls("POST", TOKEN_PATH)
    assert len(mints) == 2
    assert mints[0].headers["X-Client-Id"] != mints[1].headers["X-Client-Id"]
    saved = (tmp_path / "state" / "client_id").read_text().strip()
    assert saved == mints[1].headers["X-Client-Id"]


def test_429_waits_30_seconds_and_retries_exactly_once(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], sleeps: list[float], mode: str
) -> None:
    """429 → wait 30 s, one retry."""
    backend.mode = mode
    backend.once("POST", TOKEN_PATH, backend.error(429))
    assert make_agent().handle("credits").exit_code == 0
    assert sleeps == [30.0]
    assert len(backend.calls("POST", TOKEN_PATH)) == 2


def test_429_twice_gives_a_clear_message(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], sleeps: list[float], mode: str
) -> None:
    """429 → one retry after 30 s, then a clear message."""
    backend.mode = mode
    agent = make_agent()
    agent.handle("status")
    backend.once("GET", CREDITS_PATH, backend.error(429))
    backend.once("GET", CREDITS_PATH, backend.error(429))
    outcome = agent.handle("credits")
    assert outcome.exit_code == 1
    assert "rate-limiting" in outcome.output
    assert sleeps == [30.0]
    assert len(backend.calls("GET", CREDITS_PATH)) == 2


def test_429_wait_scales_with_time_scale(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], sleeps: list[float]
) -> None:
    """A real wait = documented seconds / NEMO_TIME_SCALE."""
    backend.once("POST", TOKEN_PATH, backend.error(429))
    make_agent(time_scale=600.0).handle("credits")
    assert sleeps == [0.05]


def test_token_never_in_output_or_url(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """The token is never printed, logged or put in a URL."""
    (tmp_path / "v.mp4").write_bytes(b"x")
    agent = make_agent()
    outputs = [agent.handle(u).output for u in ("credits", "status", "add music", "export")]
    outputs.append(agent.handle(f"upload {tmp_path / 'v.mp4'}").output)
    assert all("SECRET" not in o for o in outputs)
    assert all("SECRET" not in str(r.url) for r in backend.requests)
    assert any("SECRET" in r.headers.get("Authorization", "") for r in backend.requests)


def test_upload_of_a_missing_file_says_so(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """A file that does not exist is not uploaded; the user hears which one."""
    outcome = make_agent().handle("upload /nonexistent/clip.mp4")
    assert outcome.exit_code == 1
    assert outcome.output.endswith("File not found: /nonexistent/clip.mp4 Check the path.")
    assert backend.calls("POST", "/api/upload-video/") == []


def test_rejected_nemo_token_falls_back_to_anonymous_once(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    """1001 with a user's NEMO_TOKEN: re-auth anonymously; later runs keep that token."""
    first = make_agent(token="nmv_usr_STALE").handle("credits")
    assert first.exit_code == 0
    assert "NEMO_TOKEN was not accepted" in first.output
    assert make_agent(token="nmv_usr_STALE").handle("credits").exit_code == 0
    assert len(backend.calls("POST", TOKEN_PATH)) == 1
    assert "nmv_usr_STALE" not in (tmp_path / "state" / "state.json").read_text()
