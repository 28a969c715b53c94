"""The journal's side of an exchange: its entry, written at arrival and completed at the end.

The exchange layer (mock_server/exchange.py) calls these for every API request. The body code is
read from the scope state the envelope responses leave there, never by parsing the body.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import Message, Scope

from nemo_mock.server.guarded_http import HEADER_BYTES, header_bytes
from nemo_mock.server.journal import RAW_HEADERS, pack, redact_query
from nemo_mock.server.world import World

CONTROL_PREFIX = "/_mock"


def open_entry(world: World, scope: Scope) -> dict[str, Any]:
    """The journal entry of this exchange, appended now (status and code come later)."""
    client = scope.get("client")
    query = scope.get("query_string")
    entry: dict[str, Any] = {
        "vtime": world.now(),
        "rtime": time.time(),
        "method": scope["method"],
        "path": scope["path"],
        "query": redact_query(query) if query else "",
        "client": client[0] if client else None,
        # headers are redacted, and the missing attribution headers listed, when the journal is
        # read: not on the request's hot path
        RAW_HEADERS: scope["headers"],
        "status": None,
        "code": None,
    }
    scope["state"]["journal_entry"] = entry
    size = scope.get(HEADER_BYTES)
    world.journal.add(entry, size if size is not None else header_bytes(scope["headers"]))
    return entry


def record_start(entry: dict[str, Any], scope: Scope, message: Message) -> None:
    """Fill status, body code and content type from an `http.response.start` message."""
    entry["status"] = message["status"]
    entry["code"] = scope["state"].get("code")
    for k, v in message.get("headers", ()):
        if len(k) == 12 and k.lower() == b"content-type":
            entry["content_type"] = v.decode("latin-1")


def close_entry(world: World, entry: dict[str, Any]) -> None:
    """The exchange is over: its real duration and the virtual time it ended; its raw headers
    are packed (journal.pack)."""
    entry["duration_real"] = round(time.time() - entry["rtime"], 6)
    entry["vtime_end"] = world.now()
    pack(entry)
