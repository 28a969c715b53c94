"""Persisted client state (client id, anonymous token, session) in the state directory, mode 0600.

The directory is NEMO_STATE_DIR, else ``~/.config/nemovideo/``. A token the user supplied through
NEMO_TOKEN is never written here; only an anonymous token the client minted itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FILE_NAME = "state.json"


@dataclass
class StoredState:
    """What survives between runs. ``token`` is excluded from ``repr``."""

    client_id: str | None = None
    token: str | None = field(default=None, repr=False)
    session_id: str | None = None
    task_id: str | None = None
    #: fingerprint (not the value) of a NEMO_TOKEN the API rejected with 1001
    rejected_token: str | None = None


def fingerprint(token: str) -> str:
    """A short one-way fingerprint of a token, safe to store and compare."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class StateStore:
    """Load and save :class:`StoredState` as JSON, readable only by the owner."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME

    def load(self) -> StoredState:
        """The saved state, or an empty one when there is none (or it is unreadable)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return StoredState()
        if not isinstance(raw, dict):
            return StoredState()
        known = {k: v for k, v in raw.items() if k in StoredState.__dataclass_fields__}
        return StoredState(**{k: (str(v) if v is not None else None) for k, v in known.items()})

    def save(self, state: StoredState) -> None:
        """Write atomically; the file is created with mode 0600 (the directory 0700)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(asdict(state), fh, indent=2, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
