"""Settings: a frozen value from defaults < file < env < flags, validated."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nemo_mock import contracts
from nemo_mock.server.settings import Settings, SettingsError


def test_defaults_come_from_the_contract_facts() -> None:
    """Defaults are read from contracts/facts.yaml, not restated."""
    s, f = Settings(), contracts.facts()
    assert (s.token_ttl, s.silent_close_rate, s.turn_cap) == (
        f["token"]["ttl_seconds"],
        f["turn"]["silent_close_rate"],
        f["turn"]["cap_seconds"],
    )
    assert (s.host, s.port) == ("127.0.0.1", 8765)


def test_settings_are_frozen() -> None:
    """Settings are an immutable value."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().seed = 3  # type: ignore[misc]


def test_env_overrides_file_and_flags_override_env(tmp_path: Path) -> None:
    """defaults < file < NEMO_MOCK_* env < flags."""
    f = tmp_path / "s.yaml"
    f.write_text("seed: 1\ntime_scale: 10\nerror_status: http\n")
    s = Settings.load(
        file=f, env={"NEMO_MOCK_SEED": "2", "NEMO_MOCK_TIME_SCALE": "20"}, overrides={"seed": 3}
    )
    assert (s.seed, s.time_scale, s.error_status) == (3, 20.0, "http")


def test_file_may_nest_under_settings_key(tmp_path: Path) -> None:
    """A scenario-like file with a `settings:` mapping works too."""
    f = tmp_path / "s.yaml"
    f.write_text("settings:\n  heartbeat_style: comment\n")
    assert Settings.load(file=f, env={}).heartbeat_style == "comment"


@pytest.mark.parametrize(
    "overrides",
    [
        {"error_status": "teapot"},
        {"silent_close_rate": 1.5},
        {"time_scale": -1},
        {"seed": "abc"},
        {"heartbeat_interval": 0},
        {"no_such_setting": 1},
        {"access_log": "maybe"},
    ],
)
def test_bad_values_raise_a_clear_error(overrides: dict[str, object]) -> None:
    """Bad input gets a clear error, not a traceback from deep inside."""
    with pytest.raises(SettingsError):
        Settings().merged(overrides)


def test_booleans_parse_from_env_strings() -> None:
    """NEMO_MOCK_STALL_TURNS=true is a boolean."""
    assert Settings.load(env={"NEMO_MOCK_STALL_TURNS": "true"}).stall_turns is True


def test_unreadable_file_is_a_settings_error(tmp_path: Path) -> None:
    """A missing file says which file."""
    with pytest.raises(SettingsError, match=r"nope\.yaml"):
        Settings.load(file=tmp_path / "nope.yaml", env={})


def test_public_view_hides_the_admin_token() -> None:
    """GET /_mock/config never shows the admin token."""
    assert Settings(admin_token="s3cret").public()["admin_token"] == "***"


@pytest.mark.parametrize("name", ["profile", "default_profile"])
def test_profile_settings_name_a_known_profile(name: str) -> None:
    """A profile setting must name a profile of contracts/profiles.yaml."""
    assert getattr(Settings().merged({name: "video-create"}), name) == "video-create"
    with pytest.raises(SettingsError, match=name):
        Settings().merged({name: "no-such-skill"})
