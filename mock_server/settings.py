"""Emulator settings: one frozen value from defaults, a YAML file, `NEMO_MOCK_*` env and flags.

Later sources win: defaults < file < env < explicit overrides (CLI flags, PATCH /_mock/config).
Defaults for API facts come from contracts/facts.yaml, not from numbers restated here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml

from nemo_mock import contracts

ErrorStatus = Literal["body", "http"]
HeartbeatStyle = Literal["comment", "data", "mixed"]
SilentCloseStyle = Literal["plain", "adk"]
ERROR_STATUS_MODES: tuple[str, ...] = get_args(ErrorStatus)
HEARTBEAT_STYLES: tuple[str, ...] = get_args(HeartbeatStyle)
# Readings of the sources that disagree or are silent (contracts/README.md, "Readings"): each is a
# setting, the first value the default.
# v1.9 §3.5 "Status at top-level `status`" (bare) vs the envelope of every other answer; the
# vendor CLI also accepts {success, data}
RenderStatusShape = Literal["envelope", "bare", "success"]
# seeds: missing attribution "will cause export to fail with 402" (any user) vs CHANGELOG 1.5:
# refused for anonymous users whose credits ran out
Export402 = Literal["missing_attribution", "exhausted_anonymous"]
# seeds: headers "required on every request", 402 named on export only vs v1.9 §3: missing them
# "will cause auth failures or export 402"
AttributionRequired = Literal["export", "everywhere"]
# v1.9 §8 "editing ~50/session" (once per session) vs a charge per edit turn
EditCharge = Literal["session", "turn"]
READINGS: dict[str, tuple[str, ...]] = {
    "render_status_shape": get_args(RenderStatusShape),
    "export_402": get_args(Export402),
    "attribution_required": get_args(AttributionRequired),
    "edit_charge": get_args(EditCharge),
}
ENV_PREFIX = "NEMO_MOCK_"


def _fact(
    section: str, key: str, index: int | None = None, kind: Callable[[Any], Any] = float
) -> Any:
    """A default read from contracts/facts.yaml when a Settings is made (not at import)."""

    def read() -> Any:
        value = contracts.facts()[section][key]
        return kind(value if index is None else value[index])

    return field(default_factory=read)


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
    error_status: ErrorStatus = "body"
    # tokens and sessions
    token_ttl: float = _fact("token", "ttl_seconds")
    token_window: float = _fact("token", "window_seconds")
    tokens_per_client: int = _fact("token", "per_client_id", kind=int)
    tokens_per_ip: int = _fact("token", "per_ip", kind=int)
    starter_credits: int = _fact("token", "starter_credits", kind=int)
    claim_ttl: float = _fact("claim_token", "ttl_seconds")
    session_idle_timeout: float = _fact("session", "idle_timeout_seconds")
    # the agent turn
    cost_generation: int = _fact("costs", "generation_per_clip", kind=int)
    cost_edit: int = _fact("costs", "edit_per_session_turn", kind=int)
    cost_text: int = _fact("costs", "text", kind=int)
    silent_close_rate: float = _fact("turn", "silent_close_rate")
    silent_close_style: SilentCloseStyle = "plain"
    heartbeat_interval: float = _fact("turn", "heartbeat_interval_seconds")
    heartbeat_style: HeartbeatStyle = "mixed"
    turn_cap: float = _fact("turn", "cap_seconds")
    stall_turns: bool = False
    # renders
    render_min_seconds: float = _fact("render", "seconds", 0)
    render_max_seconds: float = _fact("render", "seconds", 1)
    render_failure_rate: float = _fact("render", "failure_rate")
    # skill profiles (contracts/profiles.yaml): `profile` answers every request whatever its
    # X-Skill-Source; otherwise a known X-Skill-Source picks its own and an unknown or missing
    # one gets `default_profile`. A scenario picks the limits here, never through the client.
    profile: str | None = None
    default_profile: str = "default"
    render_status_shape: RenderStatusShape = "envelope"
    export_402: Export402 = "missing_attribution"
    attribution_required: AttributionRequired = "export"
    edit_charge: EditCharge = "session"
    # the rendered MP4 (mock_server/media.py): small and fast, documented in contracts/README.md
    render_fps: int = _fact("render", "media", kind=lambda m: int(m["fps"]))
    render_max_side: int = _fact("render", "media", kind=lambda m: int(m["max_side"]))
    render_media_max_seconds: float = _fact(
        "render", "media", kind=lambda m: float(m["max_seconds"])
    )
    render_cache_dir: str | None = None
    # the emulator itself
    journal_size: int = 10_000
    journal_max_bytes: int = 64 * 1024 * 1024  # the journal's byte bound besides its count bound
    admin_token: str | None = None
    allow_remote_admin: bool = False
    access_log: bool = False
    state_file: str | None = None
    store: str = "memory"  # memory | sqlite:PATH | redis://HOST:PORT/DB (mock_server/stores/)
    # secrets (tokens, claim tokens, media names) come from a per-process random key unless set
    deterministic_secrets: bool = False
    # trust X-Forwarded-For/-Proto only from these proxy addresses ("127.0.0.1", "*"); off if None
    forwarded_allow_ips: str | None = None
    header_timeout: float = 10.0  # real seconds a client has to send a whole request head
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, hint in _hints().items():  # Literal choices hold even when built directly
            if get_origin(hint) is Literal and getattr(self, name) not in get_args(hint):
                raise SettingsError(f"{name} must be one of {get_args(hint)}")
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
        known = contracts.profiles()
        for name in ("profile", "default_profile"):
            value = getattr(self, name)
            if value is not None and value not in known:
                raise SettingsError(f"{name} must be one of {sorted(known)}")
        if self.store != "memory" and not self.store.startswith(("sqlite:", "redis://")):
            raise SettingsError("store must be memory, sqlite:PATH or redis://HOST:PORT/DB")
        if not 1 <= self.render_fps <= 60:
            raise SettingsError("render_fps must be between 1 and 60")
        if not 16 <= self.render_max_side <= 4096:
            raise SettingsError("render_max_side must be between 16 and 4096")
        if self.render_media_max_seconds <= 0:
            raise SettingsError("render_media_max_seconds must be > 0")
        if self.journal_max_bytes < 64 * 1024:
            raise SettingsError("journal_max_bytes must be >= 65536")
        if self.header_timeout <= 0:
            raise SettingsError("header_timeout must be > 0")

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


@cache
def _hints() -> dict[str, Any]:
    """Each setting's type, resolved from its annotation."""
    return typing.get_type_hints(Settings)


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
    hint = _hints()[name]
    try:
        return _convert(hint, value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{name}: {value!r} is not a valid {_describe(hint)}") from exc


def _convert(hint: Any, value: Any) -> Any:
    """`value` (from YAML, env or JSON) as the annotated type; ValueError when it is not one."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value)
            except (TypeError, ValueError):
                continue
        raise ValueError(value)
    if value is None:
        raise ValueError("cannot be null")
    if origin is Literal:
        if value not in args:
            raise ValueError(value)
        return value
    if origin is not None and issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            raise ValueError(value)
        return dict(value)
    converter = _CONVERTERS.get(hint)
    if converter is None:
        raise TypeError(f"no converter for {hint!r}")
    return converter(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    low = str(value).strip().lower() if isinstance(value, str) else None
    if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise ValueError(value)
    return low in ("1", "true", "yes", "on")


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(value)
    return int(value)


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or not math.isfinite(float(value)):
        raise ValueError(value)  # NaN or Infinity would make every later answer invalid
    return float(value)


def _to_str(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(value)
    return str(value)


_CONVERTERS: dict[Any, Callable[[Any], Any]] = {
    bool: _to_bool,
    int: _to_int,
    float: _to_float,
    str: _to_str,
}


def _describe(hint: Any) -> str:
    args = get_args(hint)
    if get_origin(hint) is Literal:
        return "choice: " + " | ".join(map(str, args))
    if args:
        return " | ".join(_describe(a) for a in args if a is not type(None)) + (
            " or null" if type(None) in args else ""
        )
    return getattr(hint, "__name__", str(hint))
