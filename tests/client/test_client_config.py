"""Settings and persisted state (client/_config.py, client/_state.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from nemo_mock.client import Config
from nemo_mock.client._config import detect_platform
from nemo_mock.client._state import StateStore, StoredState

HOME = Path("/home/u")


@pytest.mark.parametrize(
    ("path", "platform"),
    [
        (HOME / ".clawhub" / "skills" / "video-create", "clawhub"),
        (HOME / ".cursor" / "skills" / "video-create", "cursor"),
        (HOME / ".cursor" / "other", "unknown"),
        (Path("/opt/site-packages/client"), "unknown"),
    ],
)
def test_platform_from_install_path(path: Path, platform: str) -> None:
    """X-Skill-Platform: ~/.clawhub/ → clawhub, ~/.cursor/skills/ → cursor, else unknown."""
    assert detect_platform(path, HOME) == platform


def test_defaults_from_an_empty_environment() -> None:
    """X-Skill-Source defaults to video-create, version 1.0.0, NEMO_API_URL to 127.0.0.1:8765."""
    config = Config.from_env({"HOME": "/home/u"}, install_path=Path("/opt/x"))
    assert config.api_url == "http://127.0.0.1:8765"
    assert config.web_url == config.api_url  # NEMO_WEB_URL defaults to NEMO_API_URL
    assert config.attribution() == {
        "X-Skill-Source": "video-create",
        "X-Skill-Version": "1.0.0",
        "X-Skill-Platform": "unknown",
    }
    assert config.state_dir == Path("/home/u/.config/nemovideo")
    assert (config.time_scale, config.language, config.token) == (1.0, "en", None)


def test_environment_overrides() -> None:
    """NEMO_* and SKILL_* variables configure the client; the platform may be overridden."""
    env = {
        "NEMO_API_URL": "http://x:1/",
        "NEMO_WEB_URL": "http://web",
        "NEMO_TOKEN": "nmv_usr_secret",
        "NEMO_CLIENT_ID": "cid",
        "NEMO_SKILL_NAME": "create-image-to-video-ai",
        "SKILL_SOURCE": "cursor",
        "NEMO_STATE_DIR": "/tmp/st",
        "NEMO_TIME_SCALE": "600",
        "LANG": "zh_CN.UTF-8",
    }
    config = Config.from_env(env)
    assert (config.api_url, config.web_url, config.client_id) == ("http://x:1", "http://web", "cid")
    assert (config.skill_platform, config.time_scale, config.language) == ("cursor", 600.0, "zh")
    assert config.skill_source == "create-image-to-video-ai"
    assert config.state_dir == Path("/tmp/st")
    assert "nmv_usr_secret" not in repr(config)  # the token is never printed


def test_skill_source_env_is_the_platform_header() -> None:
    """v1.9 §3: `X-Skill-Platform: $SKILL_SOURCE`; X-Skill-Source is the skill's own name."""
    config = Config.from_env({"HOME": "/h", "SKILL_SOURCE": "clawhub"}, install_path=Path("/x"))
    assert config.attribution()["X-Skill-Platform"] == "clawhub"
    assert config.attribution()["X-Skill-Source"] == "video-create"


def test_state_file_is_owner_only(tmp_path: Path) -> None:
    """Persist token, client id, session id, task id in the state dir, file permissions 0600."""
    store = StateStore(tmp_path / "state")
    store.save(StoredState("cid", "nmv_usr_x", "s_1", "task_1"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == StoredState("cid", "nmv_usr_x", "s_1", "task_1")
    assert "nmv_usr_x" not in repr(store.load())


def test_unreadable_state_starts_fresh(tmp_path: Path) -> None:
    """A corrupt state file is treated as no state."""
    (tmp_path / "state.json").write_text("{nope")
    assert StateStore(tmp_path).load() == StoredState()
