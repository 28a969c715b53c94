"""What the user reads: error explanations (the seeds' error table) and timeline changes."""

from __future__ import annotations

from nemo_mock import contracts
from nemo_mock.client._config import Config
from nemo_mock.client._errors import (
    ExportBlocked,
    FileTooLarge,
    NemoError,
    NoCredits,
    RateLimited,
    SessionNotFound,
    TokenInvalid,
    UnsupportedFile,
)
from nemo_mock.client._models import Credits, SessionState, UploadedFile

OLD_TIMELINE_GONE = (
    "Your previous session expired, so its timeline is gone; I started a new session."
)
EXPORT_BLOCKED = "Register or upgrade your plan to unlock export."


def formats_line() -> str:
    """The supported formats, from the contract (grouped as the seeds list them)."""
    groups = contracts.facts()["supported_formats"]
    return "; ".join(f"{kind}: {', '.join(exts)}" for kind, exts in groups.items())


def explain(err: NemoError, config: Config, *, registered: bool, task_id: str | None) -> str:
    """One user-facing message that says what happened and what to do (never a token)."""
    if isinstance(err, NoCredits):
        if registered:
            return "You're out of credits. Top up credits in your account."
        bind = err.bind_id or task_id or ""
        return (
            "You're out of free credits. Register to get more and keep this project: "
            f"{config.web_url}/register?bind={bind}"
        )
    if isinstance(err, UnsupportedFile):
        return f"That file type isn't supported. Supported formats — {formats_line()}."
    if isinstance(err, FileTooLarge):
        sent = err.data.get("max_bytes")  # the server's limit for this request, when it says
        limit_bytes = sent if isinstance(sent, int) and sent > 0 else None
        limit_bytes = limit_bytes or contracts.profile_for(config.skill_source).max_upload_bytes
        limit = limit_bytes // (1024 * 1024)
        return f"That file is too large (limit {limit} MB). Compress or trim it and try again."
    if isinstance(err, ExportBlocked):
        return EXPORT_BLOCKED
    if isinstance(err, RateLimited):
        return (
            "The service is rate-limiting us and a retry after 30 seconds did not help. "
            "Please wait a few minutes and try again."
        )
    if isinstance(err, TokenInvalid):
        return "Signing in failed even with a fresh token. Please try again later."
    if isinstance(err, SessionNotFound):
        return "The session could not be found, even after starting a new one. Please try again."
    return f"{err.message} {err.hint}".strip()


def _tracks(state: SessionState) -> list[str]:
    out = []
    for track in state.draft.get("t") or []:
        line = contracts.summary({"t": [track]}).split(": ", 1)[-1]
        out.append(line.removeprefix("1. "))
    return out


def describe_change(before: SessionState | None, after: SessionState) -> str:
    """The change between two states in plain words, ending with the timeline summary."""
    if before is None:  # nothing to compare with: say what is there now
        return "Here is your timeline now.\n" + contracts.summary(after.draft)
    old, new = _tracks(before), _tracks(after)
    lines = ["Done — your timeline was updated."]
    lines += [f"Added: {t}" for t in new if t not in old]
    lines += [f"Removed: {t}" for t in old if t not in new]
    lines.append(contracts.summary(after.draft))
    return "\n".join(lines)


def status_text(state: SessionState) -> str:
    """The state summary (seeds' format) plus how many media files the session holds."""
    text = contracts.summary(state.draft)
    media = state.state.get("video_infos")
    if isinstance(media, list) and media:
        text += f"\nMedia in this session: {len(media)} file{'s' if len(media) != 1 else ''}."
    return text


def credits_text(credits: Credits) -> str:
    """The balance in one line."""
    return (
        f"Credits: {credits.available} available "
        f"({credits.frozen} reserved for running work, {credits.total} total)."
    )


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def uploaded_text(files: list[UploadedFile]) -> str:
    """What was uploaded, and what the user can do next."""
    names = ", ".join(
        f"{f.filename} ({f.type}, {_size(f.size)})" if f.size else f"{f.filename} ({f.type})"
        for f in files
    )
    return f"Uploaded {names or 'your media'}. Tell me what to make with it."


def size_text(n: int) -> str:
    """A byte count for people."""
    return _size(n)
