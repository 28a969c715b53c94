"""The journal's side of an exchange: its entry, written at arrival and completed at the end.

The exchange layer (mock_server/exchange.py) calls these for every API request. The body code is
read from the scope state the envelope responses leave there, never by parsing the body.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import Message, Scope

from nemo_mock.server.guarded_http import HEADER_BYTES, header_bytes
from nemo_mock.server.journal import RAW_HEADERS, redact_query
from nemo_mock.server.world import World

CONTROL_PREFIX = "/_mock"
# Interned values an entry keeps: a method or content type decoded per request would be one
# more object per entry, freed long out of cache when the entry leaves the ring.
_METHODS = {m: m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}
_CONTENT_TYPES: dict[bytes, str] = {}
# Paths an entry keeps, one shared string per distinct path (bounded): clients poll the same few
# paths, and a string of its own per entry is one more object to free when it leaves the ring.
_PATHS: dict[str, str] = {}
MAX_PATHS = 4096


def open_entry(world: World, scope: Scope) -> dict[str, Any]:
    """The journal entry of this exchange, appended now (status and code come later)."""
    client = scope.get("client")
    query = scope.get("query_string")
    method = scope["method"]
    headers = scope["headers"]
    path = scope["path"]
    size = scope.get(HEADER_BYTES)
    if size is None:
        size = header_bytes(headers)
    journal = world.journal
    entry: dict[str, Any] = {
        "seq": 0,  # Journal.add numbers it; listed here so it reads first
        "vtime": world.clock.now(),  # the clock itself: a call less than world.now()
        "rtime": time.time(),
        "method": _METHODS.get(method, method),
        "path": _PATHS.get(path) or shared_path(path),
        "query": redact_query(query) if query else "",
        "client": client[0] if client else None,
        # packed, and shared with the previous entry from this address when they are equal
        # (journal.HeaderPacker); redacted, with the missing attribution headers listed, when
        # the journal is read: not on the request's hot path
        RAW_HEADERS: journal.packed_headers(client, headers, size),
        "status": None,
        "code": None,
    }
    scope["state"]["journal_entry"] = entry
    journal.add(entry, size)
    return entry


def shared_path(path: str) -> str:
    """`path`, kept from now on as the string every later entry with this path shares (all are
    forgotten at once when MAX_PATHS are kept)."""
    if len(_PATHS) >= MAX_PATHS:
        _PATHS.clear()
    _PATHS[path] = path
    return path


def record_start(entry: dict[str, Any], scope: Scope, message: Message) -> None:
    """Fill status, body code and content type from an `http.response.start` message."""
    entry["status"] = message["status"]
    entry["code"] = scope["state"].get("code")
    for k, v in message.get("headers", ()):
        if len(k) == 12 and k.lower() == b"content-type":
            entry["content_type"] = content_type(v)


def content_type(value: bytes) -> str:
    """A Content-Type header value as text, one shared string per distinct value (bounded)."""
    text = _CONTENT_TYPES.get(value)
    if text is None:
        text = value.decode("latin-1")
        if len(_CONTENT_TYPES) < 256:
            _CONTENT_TYPES[value] = text
    return text


def close_entry(world: World, entry: dict[str, Any]) -> None:
    """The exchange is over: its real duration and the virtual time it ended."""
    # microseconds, truncated: round(x, 6) formats the float through dtoa, many times the cost
    entry["duration_real"] = int((time.time() - entry["rtime"]) * 1e6) / 1e6
    entry["vtime_end"] = world.clock.now()
