"""Persisted client state in the state directory (NEMO_STATE_DIR, else ``~/.config/nemovideo/``).

As v1.9 §1 describes, the client id lives in its own file, ``client_id``: "UUID only, no secrets".
Deviation from v1.9 ("no credentials are stored locally"): the anonymous token this client minted,
the session and its claim token are kept in ``state.json``, created with mode 0600 in a 0700
directory, because a token can be minted only once per client id per 7 days — a client that
forgot it would be locked out (429) until the week is over. A token the user supplied through
NEMO_TOKEN is never written anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FILE_NAME = "state.json"
CLIENT_ID_FILE = "client_id"


@dataclass
class StoredState:
    """What survives between runs. ``token`` and ``claim_token`` are excluded from ``repr``."""

    client_id: str | None = None
    token: str | None = field(default=None, repr=False)
    session_id: str | None = None
    task_id: str | None = None
    #: the claim token of ``session_id`` (v1.9 §3.0: fetched right after the session is made)
    claim_token: str | None = field(default=None, repr=False)
    #: fingerprint (not the value) of a NEMO_TOKEN the API rejected with 1001
    rejected_token: str | None = None


def fingerprint(token: str) -> str:
    """A short one-way fingerprint of a token, safe to store and compare."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class StateStore:
    """Load and save :class:`StoredState`: ``client_id`` (the UUID alone) and ``state.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self.client_id_path = directory / CLIENT_ID_FILE

    def load(self) -> StoredState:
        """The saved state, or an empty one when there is none (or it is unreadable)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        if not isinstance(raw, dict):
            raw = {}
        known = {k: v for k, v in raw.items() if k in StoredState.__dataclass_fields__}
        state = StoredState(**{k: (str(v) if v is not None else None) for k, v in known.items()})
        try:
            client_id = self.client_id_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            client_id = ""
        # the file wins; an older state.json that still holds the id is read once, then moved
        state.client_id = client_id or state.client_id
        return state

    def save(self, state: StoredState) -> None:
        """Write both files atomically: ``client_id`` and ``state.json`` (mode 0600, dir 0700)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if state.client_id:
            _write(self.client_id_path, state.client_id + "\n")
        secrets = {k: v for k, v in asdict(state).items() if k != "client_id"}
        _write(self.path, json.dumps(secrets, indent=2, sort_keys=True))


def _write(path: Path, text: str) -> None:
    """Replace `path` with `text`, created 0600 (never readable by others, even for a moment)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
