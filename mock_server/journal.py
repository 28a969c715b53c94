"""The journal: every exchange, bounded (a ring buffer that counts what it dropped).

Entries are plain dicts so they export as JSON lines as they are; a live entry (an SSE turn) is
appended when the request arrives and filled in while it runs. Tokens never appear in clear: the
journal keeps a fingerprint (`tok_` + 10 hex of SHA-256).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import marshal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from nemo_mock.server.matching import Matcher
from nemo_mock.server.strict_json import dumps_text

ATTRIBUTION = ("x-skill-source", "x-skill-version", "x-skill-platform")
RAW_HEADERS = "_raw_headers"  # ASGI header pairs, turned into redacted `headers` when read
_SECRET_HEADERS = ("authorization", "x-admin-token")


@lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Return freed heap to the OS (glibc keeps it otherwise: RSS stayed at its peak after a
    header flood was cleared). A no-op where malloc_trim does not exist."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def redact_query(query: bytes) -> str:
    """The query string, with claim tokens (`ct=`) replaced by fingerprints."""
    if b"ct=" not in query:
        return query.decode("latin-1")
    parts = []
    for part in query.decode("latin-1").split("&"):
        name, sep, value = part.partition("=")
        if sep and name == "ct" and value:
            part = f"ct={fingerprint(unquote(value))}"
        parts.append(part)
    return "&".join(parts)


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


def packed(headers: list[tuple[bytes, bytes]]) -> bytes:
    """Request headers (ASGI pairs) as one bytes object, as an entry keeps them until read.

    A full journal holds 10,000 entries. Kept as a list of tuples, each entry's headers are a
    dozen small objects freed, long out of cache, when the entry leaves the ring, and the list
    makes the entry a container the garbage collector must track and traverse: an entry whose
    values are all atomic (str, numbers, bytes, None) is never tracked at all (CPython tracks a
    dict only once a container goes in). bench/README.md, "Where the time goes", has the figures.
    """
    return marshal.dumps(headers, 2)  # version 2: no back-references, the fastest


class HeaderPacker:
    """`packed(headers)`, reusing what it packed for the previous request from the same client
    address when that request's headers were equal.

    A keep-alive client sends the same headers on every request. Their entries then share one
    bytes object instead of each holding its own, freed long out of cache when the entry leaves
    the ring, and the marshal call is skipped: in an interleaved A/B under wrk (issue 12) this
    took the state read from 1.17x to 1.11x bare Starlette's CPU per request, and the processing
    render poll from 1.17x to 1.13x. The answer is always what `packed` gives: the headers are
    compared in full, against a copy of the list the bytes were packed from.
    """

    CLIENTS = 1024  # addresses remembered (all forgotten at once when full)
    MAX_BYTES = 8 * 1024  # header bytes of a head worth remembering (so at most ~8 MiB held)

    def __init__(self) -> None:
        self._last: dict[tuple[Any, ...], tuple[list[Any], bytes]] = {}

    def __call__(self, client: Any, headers: list[tuple[bytes, bytes]], size: int) -> bytes:
        """The packed `headers` of a request from `client` (the scope's (host, port) or None),
        whose names and values count `size` bytes."""
        if type(client) is not tuple or size > self.MAX_BYTES:  # a list is not hashable
            return packed(headers)
        try:
            last = self._last.get(client)
        except TypeError:  # a tuple holding something unhashable: nothing to remember it by
            return packed(headers)
        if last is not None and last[0] == headers:
            return last[1]
        raw = packed(headers)
        if len(self._last) >= self.CLIENTS:
            self._last.clear()
        self._last[client] = (list(headers), raw)  # a copy: the scope's list could change
        return raw

    def clear(self) -> None:
        """Forget every client."""
        self._last.clear()


def ready(e: dict[str, Any]) -> bool:
    """Turn an entry's raw headers into redacted ones (once; on read, not on the hot path)."""
    raw = e.pop(RAW_HEADERS, None)
    if raw is not None:
        if isinstance(raw, bytes):  # packed when the entry was opened
            raw = marshal.loads(raw)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
        names = {k.lower() for k, _ in headers}
        e["missing_attribution"] = [h for h in ATTRIBUTION if h not in names]
        e["headers"] = redact_headers(headers)
    return True


def filter_matcher(f: Mapping[str, Any]) -> Matcher:
    """The query filters (method, path glob, code, status) as the one matcher of matching.py."""
    method, path = f.get("method"), f.get("path")
    return Matcher(
        method=None if method in (None, "", "*") else str(method).upper(),
        paths=(str(path),) if path else (),
        code=None if f.get("code") is None else int(f["code"]),
        status=None if f.get("status") is None else int(f["status"]),
    )


def _selector(f: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """`e` passes the filters: since, and the match of `filter_matcher`."""
    match = filter_matcher(f)
    since = None if f.get("since") is None else int(f["since"])
    return lambda e: (since is None or e["seq"] > since) and match.matches(e)


ENTRY_BYTES = 1024  # what an entry costs besides its request headers (an estimate, see bench/)
# an entry's cost as one shared int per header size (bounded): an int above 256 made per request
# is one more object the ring holds and frees long out of cache
_COSTS: dict[int, int] = {}


class Journal:
    """A bounded, thread-safe log of exchanges, queryable by sequence number and filters.

    Two bounds: at most `size` entries and about `max_bytes` bytes (an entry counts its request
    header bytes plus ENTRY_BYTES); the oldest entries go first and are counted in `dropped`.
    """

    def __init__(self, size: int, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque()
        self._costs: deque[int] = deque()
        self._size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._seq = 0
        self.dropped = 0
        self.packed_headers = HeaderPacker()  # for journal_middleware.open_entry

    @property
    def size(self) -> int:
        """The most entries kept."""
        return self._size

    def resize(self, size: int, max_bytes: int | None = None) -> None:
        """Keep at most `size` entries (and `max_bytes`) from now on; the oldest go first."""
        with self._lock:
            self._size = size
            if max_bytes is not None:
                self.max_bytes = max_bytes
            self._evict(0)

    def _evict(self, incoming: int) -> None:
        room = 1 if incoming else 0
        while self._entries and (
            len(self._entries) + room > self._size or self.bytes + incoming > self.max_bytes
        ):
            self._entries.popleft()
            self.bytes -= self._costs.popleft()
            self.dropped += 1

    def add(self, entry: dict[str, Any], header_bytes: int = 0) -> dict[str, Any]:
        """Append `entry` (gets a `seq`) and return it, so the caller can fill it in later."""
        cost = _COSTS.get(header_bytes)
        if cost is None:
            cost = ENTRY_BYTES + header_bytes
            if len(_COSTS) < 4096:
                _COSTS[header_bytes] = cost
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            entries = self._entries
            if len(entries) >= self._size:  # full (never more: resize evicts at once)
                entries.popleft()
                self.bytes -= self._costs.popleft()
                self.dropped += 1
            if self.bytes + cost > self.max_bytes:
                self._evict(cost)
            entries.append(entry)
            self._costs.append(cost)
            self.bytes += cost
        return entry

    def clear(self) -> None:
        """Forget every entry (sequence numbers keep growing) and give the memory back."""
        with self._lock:
            self._entries = deque()
            self._costs = deque()
            self.bytes = 0
            self.dropped = 0
            self.packed_headers.clear()
        release_memory()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rows = self.rows()
        for e in rows:
            ready(e)
        return iter(rows)

    def rows(self) -> list[dict[str, Any]]:
        """The entries as they are now (not yet `ready`: see `batches` for large reads)."""
        with self._lock:
            return list(self._entries)

    def query(self, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Entries matching `filters`: method, path (a glob: exact, or with *), code, status,
        since."""
        selects = _selector(filters or {})
        return [e for e in self if selects(e)]

    def batches(
        self, filters: Mapping[str, Any] | None = None, size: int = 256
    ) -> Iterator[list[dict[str, Any]]]:
        """Matching entries in batches of `size` (made ready batch by batch), so an async reader
        can let the event loop run between batches: a full journal takes seconds to export."""
        selects = _selector(filters or {})
        rows = self.rows()
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            yield [e for e in batch if ready(e) and selects(e)]

    def ndjson(self, entries: Iterable[dict[str, Any]] | None = None) -> str:
        """Entries as JSON lines."""
        rows = self if entries is None else entries
        return "".join(dumps_text(e) + "\n" for e in rows)
