"""Emulator settings: one frozen value from defaults, a YAML file, `NEMO_MOCK_*` env and flags.

Later sources win: defaults < file < env < explicit overrides (CLI flags, PATCH /_mock/config).
Defaults for API facts come from contracts/facts.yaml, not from numbers restated here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from nemo_mock import contracts

_F = contracts.facts()

ERROR_STATUS_MODES = ("body", "http")
HEARTBEAT_STYLES = ("comment", "data", "mixed")
ENV_PREFIX = "NEMO_MOCK_"


class SettingsError(ValueError):
    """A setting has an unknown name or a value of the wrong type or range."""


@dataclass(frozen=True)
class Settings:
    """Everything the emulator can be told; immutable (use `merged` for a changed copy)."""

    host: str = "127.0.0.1"
    port: int = 8765
    seed: int = 0
    time_scale: float = 1.0
    clock_start: float | None = None
    error_status: str = "body"
    # tokens and sessions
    token_ttl: float = float(_F["token"]["ttl_seconds"])
    token_window: float = float(_F["token"]["window_seconds"])
    tokens_per_client: int = int(_F["token"]["per_client_id"])
    tokens_per_ip: int = int(_F["token"]["per_ip"])
    starter_credits: int = int(_F["token"]["starter_credits"])
    claim_ttl: float = float(_F["claim_token"]["ttl_seconds"])
    session_idle_timeout: float = float(_F["session"]["idle_timeout_seconds"])
    # the agent turn
    cost_generation: int = int(_F["costs"]["generation_per_clip"])
    cost_edit: int = int(_F["costs"]["edit_per_session_turn"])
    cost_text: int = int(_F["costs"]["text"])
    silent_close_rate: float = float(_F["turn"]["silent_close_rate"])
    silent_close_style: str = "plain"
    heartbeat_interval: float = float(_F["turn"]["heartbeat_interval_seconds"])
    heartbeat_style: str = "mixed"
    turn_cap: float = float(_F["turn"]["cap_seconds"])
    stall_turns: bool = False
    # renders
    render_min_seconds: float = float(_F["render"]["seconds"][0])
    render_max_seconds: float = float(_F["render"]["seconds"][1])
    render_failure_rate: float = float(_F["render"]["failure_rate"])
    # the emulator itself
    journal_size: int = 10_000
    admin_token: str | None = None
    allow_remote_admin: bool = False
    access_log: bool = False
    state_file: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.error_status not in ERROR_STATUS_MODES:
            raise SettingsError(f"error_status must be one of {ERROR_STATUS_MODES}")
        if self.heartbeat_style not in HEARTBEAT_STYLES:
            raise SettingsError(f"heartbeat_style must be one of {HEARTBEAT_STYLES}")
        if self.silent_close_style not in ("plain", "adk"):
            raise SettingsError("silent_close_style must be 'plain' or 'adk'")
        for name in ("silent_close_rate", "render_failure_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise SettingsError(f"{name} must be between 0 and 1")
        if self.time_scale < 0:
            raise SettingsError(
                "time_scale must be >= 0 (0 freezes the clock: only advance moves it)"
            )
        if self.heartbeat_interval <= 0:
            raise SettingsError("heartbeat_interval must be > 0")
        if self.render_min_seconds > self.render_max_seconds:
            raise SettingsError("render_min_seconds must not exceed render_max_seconds")
        if not 0 <= self.port <= 65535:
            raise SettingsError("port must be between 0 and 65535")
        if self.journal_size < 1:
            raise SettingsError("journal_size must be >= 1")

    def merged(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with `overrides` applied; values are coerced from strings; unknown names raise."""
        return dataclasses.replace(self, **_coerce_all(overrides))

    def public(self) -> dict[str, Any]:
        """The settings as JSON-able data, with the admin token hidden."""
        data = dataclasses.asdict(self)
        data["admin_token"] = "***" if self.admin_token else None
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def load(
        cls,
        *,
        file: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Defaults, then the YAML `file`, then `NEMO_MOCK_*` from `env`, then `overrides`."""
        values: dict[str, Any] = {}
        if file is not None:
            values.update(read_file(file))
        environ = os.environ if env is None else env
        values.update(from_env(environ))
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls().merged(values)


_FIELDS = {f.name: f for f in fields(Settings)}


def read_file(path: str | Path) -> dict[str, Any]:
    """Settings from a YAML mapping (top level, or under a `settings:` key)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SettingsError(f"settings file {path} is not valid YAML: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SettingsError(f"settings file {path} must hold a mapping")
    inner = raw.get("settings", raw)
    if not isinstance(inner, dict):
        raise SettingsError(f"settings file {path}: `settings` must be a mapping")
    return dict(inner)


def from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings named by `NEMO_MOCK_<NAME>` variables (e.g. NEMO_MOCK_SEED=7)."""
    out: dict[str, Any] = {}
    for key, value in env.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :].lower()
            if name in _FIELDS:
                out[name] = value
    return out


def _coerce_all(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    return {k: _coerce(k, v) for k, v in values.items()}


def _coerce(name: str, value: Any) -> Any:
    kind = str(_FIELDS[name].type)
    if value is None:
        if "None" in kind:
            return None
        raise SettingsError(f"{name} cannot be null")
    try:
        if kind.startswith("bool"):
            if isinstance(value, str):
                low = value.strip().lower()
                if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(value)
                return low in ("1", "true", "yes", "on")
            if not isinstance(value, bool):
                raise ValueError(value)
            return value
        if kind.startswith("int"):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if kind.startswith("float"):
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if kind.startswith("str"):
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError(value)
            return str(value)
        if kind.startswith("Mapping"):
            if not isinstance(value, Mapping):
                raise ValueError(value)
            return dict(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name}: {value!r} is not a valid {kind}") from exc
    return value
