"""The journal: every exchange, bounded (a ring buffer that counts what it dropped).

Entries are plain dicts so they export as JSON lines as they are; a live entry (an SSE turn) is
appended when the request arrives and filled in while it runs. Tokens never appear in clear: the
journal keeps a fingerprint (`tok_` + 10 hex of SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

ATTRIBUTION = ("x-skill-source", "x-skill-version", "x-skill-platform")
RAW_HEADERS = "_raw_headers"  # ASGI header pairs, turned into redacted `headers` when read
_SECRET_HEADERS = ("authorization", "x-admin-token")


@lru_cache(maxsize=4096)
def fingerprint(secret: str) -> str:
    """A stable, non-reversible name for a token."""
    return "tok_" + hashlib.sha256(secret.encode()).hexdigest()[:10]


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict, with bearer tokens and admin tokens replaced by fingerprints."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in _SECRET_HEADERS:
            scheme, _, secret = value.partition(" ")
            value = f"{scheme} {fingerprint(secret.strip())}" if secret else fingerprint(value)
        out[key] = value
    return out


class Journal:
    """A bounded, thread-safe log of exchanges, queryable by sequence number and filters."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = 0
        self.dropped = 0

    @property
    def size(self) -> int:
        """The most entries kept."""
        return self._entries.maxlen or 0

    def resize(self, size: int) -> None:
        """Keep at most `size` entries from now on (the oldest go first)."""
        with self._lock:
            if size != self._entries.maxlen:
                old = list(self._entries)
                self.dropped += max(0, len(old) - size)
                self._entries = deque(old[-size:], maxlen=size)

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append `entry` (gets a `seq`) and return it, so the caller can fill it in later."""
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            if len(self._entries) == self._entries.maxlen:
                self.dropped += 1
            self._entries.append(entry)
        return entry

    def clear(self) -> None:
        """Forget every entry (sequence numbers keep growing)."""
        with self._lock:
            self._entries.clear()
            self.dropped = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            rows = list(self._entries)
            for e in rows:
                raw = e.pop(RAW_HEADERS, None)
                if raw is not None:  # on first read, not on the request's hot path
                    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
                    names = {k.lower() for k, _ in headers}
                    e["missing_attribution"] = [h for h in ATTRIBUTION if h not in names]
                    e["headers"] = redact_headers(headers)
        return iter(rows)

    def query(self, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Entries matching `filters`: method, path (exact or prefix*), code, status, since."""
        f = dict(filters or {})
        out = []
        for e in self:
            if "since" in f and f["since"] is not None and e["seq"] <= int(f["since"]):
                continue
            if f.get("method") and e.get("method") != str(f["method"]).upper():
                continue
            path = f.get("path")
            if path:
                p = str(path)
                if p.endswith("*"):
                    if not str(e.get("path", "")).startswith(p[:-1]):
                        continue
                elif e.get("path") != p:
                    continue
            if f.get("code") is not None and e.get("code") != int(f["code"]):
                continue
            if f.get("status") is not None and e.get("status") != int(f["status"]):
                continue
            out.append(e)
        return out

    def ndjson(self, entries: Iterable[dict[str, Any]] | None = None) -> str:
        """Entries as JSON lines."""
        rows = self if entries is None else entries
        return "".join(json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in rows)
