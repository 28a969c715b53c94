"""Typed results of the API calls, parsed leniently from the envelope's ``data``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class TokenGrant:
    """An anonymous token (never shown: excluded from ``repr``)."""

    token: str = field(repr=False)
    credits: int | None = None
    expires_in: int | None = None

    @classmethod
    def parse(cls, data: Any) -> TokenGrant:
        d = _dict(data)
        return cls(str(d.get("token") or ""), d.get("credits"), d.get("expires_in"))


@dataclass(frozen=True)
class Session:
    """A task and its session."""

    task_id: str
    session_id: str

    @classmethod
    def parse(cls, data: Any) -> Session:
        d = _dict(data)
        return cls(str(d.get("task_id") or ""), str(d.get("session_id") or ""))


@dataclass(frozen=True)
class Credits:
    """The credit balance: available + frozen == total."""

    available: int
    frozen: int
    total: int

    @classmethod
    def parse(cls, data: Any) -> Credits:
        d = _dict(data)
        return cls(_int(d.get("available")), _int(d.get("frozen")), _int(d.get("total")))


@dataclass(frozen=True)
class UploadedFile:
    """One uploaded file as the API recorded it."""

    file_id: str
    filename: str
    type: str
    size: int

    @classmethod
    def parse_all(cls, data: Any) -> list[UploadedFile]:
        files = _dict(data).get("files")
        return [
            cls(
                str(f.get("file_id") or ""),
                str(f.get("filename") or f.get("url") or ""),
                str(f.get("type") or ""),
                _int(f.get("size")),
            )
            for f in (files if isinstance(files, list) else [])
            if isinstance(f, dict)
        ]


@dataclass(frozen=True)
class SessionState:
    """The session's latest state: the draft (timeline) and its version."""

    task_id: str
    session_id: str
    version: int | None
    draft: dict[str, Any]
    state: dict[str, Any]

    @classmethod
    def parse(cls, data: Any) -> SessionState:
        d = _dict(data)
        state = _dict(d.get("state"))
        version = d.get("version")
        return cls(
            str(d.get("task_id") or ""),
            str(d.get("session_id") or ""),
            version if isinstance(version, int) else None,
            _dict(state.get("draft")),
            state,
        )

    def differs_from(self, other: SessionState) -> bool:
        """True when the timeline changed (by version when both have one, else by content)."""
        if self.version is not None and other.version is not None:
            return self.version != other.version
        return self.state != other.state


@dataclass(frozen=True)
class RenderJob:
    """A render (export) job: status pending → processing → completed | failed."""

    id: str
    status: str
    progress: float
    url: str | None
    error: str | None

    @classmethod
    def parse(cls, data: Any) -> RenderJob:
        d = _dict(data)
        output = _dict(d.get("output"))
        try:
            progress = float(d.get("progress") or 0.0)
        except (TypeError, ValueError):
            progress = 0.0
        error = d.get("error")
        return cls(
            str(d.get("id") or ""),
            str(d.get("status") or "pending"),
            progress,
            str(output["url"]) if output.get("url") else None,
            str(error) if error else None,
        )
