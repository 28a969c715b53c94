"""The emulator's entities: plain dataclasses, JSON-able through `dump`/`load` for snapshots."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nemo_mock import contracts

T = TypeVar("T")


@dataclass
class User:
    """An account: anonymous (keyed by client id) or registered (made through the control plane)."""

    id: str
    client_id: str | None = None
    registered: bool = False
    total: int = 0
    frozen: int = 0

    @property
    def available(self) -> int:
        """Credits that can be spent now (total less what running turns hold)."""
        return self.total - self.frozen


@dataclass
class Token:
    """A bearer token; never logged in clear (the journal shows a fingerprint)."""

    value: str
    user_id: str
    client_id: str | None
    ip: str
    issued_at: float
    expires_at: float
    revoked: bool = False

    def live(self, now: float) -> bool:
        """Usable now: not revoked and not expired."""
        return not self.revoked and now < self.expires_at


@dataclass
class Session:
    """An editing session with its timeline state; `version` grows with every change."""

    id: str
    task_id: str
    user_id: str
    name: str
    language: str
    created_at: float
    last_active: float
    version: int = 0
    draft: dict[str, Any] = field(default_factory=contracts.empty_draft)
    video_infos: list[dict[str, Any]] = field(default_factory=list)
    generated_media: list[dict[str, Any]] = field(default_factory=list)
    canvas_config: dict[str, Any] = field(
        default_factory=lambda: {"width": 1080, "height": 1920, "fps": 30}
    )
    turns: int = 0
    edit_charged: bool = False  # edit_charge=session: this session's edit charge is held or paid

    def state(self) -> dict[str, Any]:
        """The `state` object of GET /api/state/.../latest."""
        return {
            "draft": self.draft,
            "video_infos": self.video_infos,
            "generated_media": self.generated_media,
            "canvas_config": self.canvas_config,
        }


@dataclass
class Render:
    """A render (export) job; its status is a pure function of the virtual clock (renders.py)."""

    id: str
    user_id: str
    session_id: str
    submitted_at: float
    pending_seconds: float
    duration: float
    fails: bool
    fail_fraction: float
    media_name: str
    draft_ms: int
    output: dict[str, Any] = field(default_factory=dict)
    stalled: bool = False
    media: dict[str, Any] = field(default_factory=dict)  # what its MP4 shows (media.Spec)


@dataclass
class Claim:
    """A claim token: lets a browser open a session's page without the bearer token."""

    value: str
    user_id: str
    session_id: str
    expires_at: float


def dump(obj: Any) -> dict[str, Any]:
    """A dataclass as JSON-able data."""
    return dataclasses.asdict(obj)


def load(cls: type[T], data: dict[str, Any]) -> T:
    """A dataclass from `dump` output (unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})
