"""What a target offers beyond the documented API, from discovery and from flags (flags win).

- `control_plane`  — the emulator's /_mock/* (reset, config): checks reset state before they run
  and may change settings for one check (restored after)
- `virtual_clock`  — POST /_mock/clock/advance {"seconds": n}
- `credits_topup`  — POST /_mock/users {"credits": n}: registered users with credits
- `claim_page`     — the target also serves the claim page (GET /workspace/claim?ct=...)
- `spend_credits`  — the suite may run turns that cost credits (implied on loopback)
- `error_status=body|http` — which HTTP status app errors ride on (contracts/errors.yaml)
- `heartbeat_interval=S` — the target's heartbeat interval in virtual seconds
- `admin_token=...` — sent as X-Admin-Token to the control plane
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

FLAGS = ("control_plane", "virtual_clock", "credits_topup", "claim_page", "spend_credits")
VALUED = ("error_status", "heartbeat_interval", "admin_token")
KNOWN = FLAGS + VALUED
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class CapabilityError(ValueError):
    """A capability flag or file that cannot be read."""


@dataclass(frozen=True)
class Capabilities:
    """What the target offers; `origin` says, per name, how it became known (for the printout)."""

    names: frozenset[str] = frozenset()
    error_status: str | None = None
    heartbeat_interval: float | None = None
    admin_token: str | None = None
    origin: Mapping[str, str] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        if name in VALUED:
            return getattr(self, name) is not None
        return name in self.names

    def merged(self, other: Capabilities) -> Capabilities:
        """`self` overridden by `other` (what `other` says wins, including removals)."""
        names = set(self.names)
        values = {k: getattr(self, k) for k in VALUED}
        for name in other.origin:
            if name in FLAGS:
                (names.add if name in other.names else names.discard)(name)
            elif name in VALUED:
                values[name] = getattr(other, name)
        return Capabilities(
            frozenset(names), **values, origin={**dict(self.origin), **dict(other.origin)}
        )

    def with_flag(self, name: str, why: str) -> Capabilities:
        return replace(self, names=self.names | {name}, origin={**self.origin, name: why})

    def describe(self) -> list[str]:
        """One line per known capability: `name[=value]  (origin)`."""
        lines = []
        for name in KNOWN:
            if name not in self.origin:
                continue
            if name in VALUED:
                value = getattr(self, name)
                shown = "***" if name == "admin_token" and value else value
                text = f"{name}={shown}" if value is not None else f"{name}: absent"
            else:
                text = name if name in self.names else f"{name}: absent"
            lines.append(f"{text}  ({self.origin[name]})")
        return lines

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """{name: {"value": ..., "origin": ...}} for every capability whose origin is known."""
        out: dict[str, dict[str, Any]] = {}
        for name in KNOWN:
            if name in self.origin:
                value = getattr(self, name) if name in VALUED else name in self.names
                if name == "admin_token" and value:
                    value = "***"
                out[name] = {"value": value, "origin": self.origin[name]}
        return out

    @classmethod
    def parse(cls, items: Iterable[str], file: str | None = None) -> Capabilities:
        """From `--capability NAME[=VALUE]` flags and an optional YAML file (flags win).

        `NAME=false` removes a capability that discovery found.
        """
        raw: dict[str, Any] = {}
        if file:
            raw.update(_read_file(file))
        for item in items:
            for part in str(item).split(","):
                part = part.strip()
                if part:
                    key, sep, value = part.partition("=")
                    raw[key.strip()] = value.strip() if sep else True
        names: set[str] = set()
        values: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for key, value in raw.items():
            _one(key, value, names, values)
            origin[key] = "declared"
        return cls(frozenset(names), **values, origin=origin)


def _read_file(file: str) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CapabilityError(f"cannot read capabilities file {file}: {exc}") from exc
    raw = raw.get("capabilities", raw) if isinstance(raw, dict) else raw
    if isinstance(raw, list):
        raw = {str(k): True for k in raw}
    if not isinstance(raw, dict):
        raise CapabilityError(f"{file}: expected a mapping or a list of capability names")
    return {str(k): v for k, v in raw.items()}


def _one(key: str, value: Any, names: set[str], values: dict[str, Any]) -> None:
    if key == "error_status":
        if value not in ("body", "http"):
            raise CapabilityError("error_status must be body or http")
        values[key] = value
    elif key == "admin_token":
        values[key] = str(value)
    elif key == "heartbeat_interval":
        try:
            values[key] = float(value)
        except (TypeError, ValueError) as exc:
            raise CapabilityError("heartbeat_interval must be a number of seconds") from exc
        if values[key] <= 0:
            raise CapabilityError("heartbeat_interval must be > 0")
    elif key in FLAGS:
        text = str(value).lower()
        if value is True or text in _TRUE:
            names.add(key)
        elif value is False or text in _FALSE:
            names.discard(key)
        else:
            raise CapabilityError(f"{key}: expected true or false, got {value!r}")
    else:
        raise CapabilityError(f"unknown capability {key!r}; known: {', '.join(KNOWN)}")


def is_loopback(url: str) -> bool:
    """True when `url` points at this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
