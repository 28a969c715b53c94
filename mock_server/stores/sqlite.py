"""`sqlite:PATH`: rows in one SQLite file (stdlib sqlite3, WAL), committed before `write` returns.

WAL with `synchronous=NORMAL`: a commit is in the WAL file when `write` returns, so killing the
process (kill -9, OOM) loses nothing written; only a power cut or OS crash may lose the last
commits (`sqlite:PATH?sync=full` fsyncs every commit for that case too, at a cost per write).
One process owns the file at a time (an exclusive lock next to it): a second emulator on the same
file would keep a stale copy of the state in memory, so it is refused.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from nemo_mock.server.stores.base import Row, StoreError, check_kinds

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, documented
    fcntl = None  # type: ignore[assignment]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kept (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID
"""


class SqliteStore:
    """Rows in a SQLite file; each `write` is one transaction."""

    durable = True

    def __init__(self, path: str | Path, *, sync: str = "normal") -> None:
        if sync not in ("normal", "full"):
            raise StoreError(f"sqlite sync must be 'normal' or 'full', not {sync!r}")
        self.path = Path(path)
        self.url = f"sqlite:{self.path}"
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lockfile = open(f"{self.path}.lock", "a")  # noqa: SIM115 - held until close()
        if fcntl is not None:
            try:
                fcntl.flock(self._lockfile.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                self._lockfile.close()
                raise StoreError(f"{self.path} is in use by another emulator process") from exc
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={sync.upper()}")
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._lockfile.close()
            raise StoreError(f"{self.path}: not a usable SQLite file ({exc})") from exc

    def load(self) -> dict[str, dict[str, Any]]:
        """Every row: kind -> key -> value."""
        out: dict[str, dict[str, Any]] = {}
        with self._lock:
            for kind, key, value in self._db.execute("SELECT kind, key, value FROM kept"):
                out.setdefault(kind, {})[key] = orjson.loads(value)
        return out

    def write(
        self,
        puts: Iterable[Row] = (),
        deletes: Iterable[tuple[str, str]] = (),
        clear: Iterable[str] = (),
    ) -> None:
        """One transaction: clear, deletes, puts; committed when this returns."""
        puts, deletes, clear = list(puts), list(deletes), list(clear)
        check_kinds([*clear, *(k for k, _ in deletes), *(k for k, _, _ in puts)])
        encoded = [(k, key, orjson.dumps(v)) for k, key, v in puts]
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("DELETE FROM kept WHERE kind = ?", [(k,) for k in clear])
                db.executemany("DELETE FROM kept WHERE kind = ? AND key = ?", deletes)
                db.executemany("INSERT OR REPLACE INTO kept VALUES (?, ?, ?)", encoded)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        """Close the database and release the file lock."""
        with self._lock:
            self._db.close()
        self._lockfile.close()
