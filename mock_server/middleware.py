"""Journal middleware: one entry per exchange, written at arrival and completed at the end.

Pure ASGI (no BaseHTTPMiddleware) so it costs little per request. The body code is read from the
scope state the Envelope response leaves there, never by parsing the body.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import polled
from mock_server.journal import ATTRIBUTION, RAW_HEADERS
from mock_server.world import World

CONTROL_PREFIX = "/_mock"
_ATTRIBUTION_BYTES = [(h, h.encode()) for h in ATTRIBUTION]


class JournalMiddleware:
    """Record every API exchange (the control plane is not journalled)."""

    def __init__(self, app: ASGIApp, world: World) -> None:
        self.app = app
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        raw = scope["headers"]
        names = {k.lower() for k, _ in raw}
        client = scope.get("client")
        entry: dict[str, Any] = {
            "vtime": self.world.now(),
            "rtime": time.time(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "client": client[0] if client else None,
            RAW_HEADERS: raw,
            "missing_attribution": [h for h, b in _ATTRIBUTION_BYTES if b not in names],
            "status": None,
            "code": None,
        }
        scope.setdefault("state", {})["journal_entry"] = entry
        self.world.journal.add(entry)

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                entry["code"] = scope["state"].get("code")
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        entry["content_type"] = v.decode("latin-1")
            await send(message)

        if scope["method"] == "GET" and not len(self.world.faults):
            fast = polled.answer(self.world, scope)
            if fast is not None:
                status, code, body = fast
                scope["state"]["code"] = code
                headers = [  # as Starlette's Response writes them
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", b"application/json"),
                ]
                try:
                    await send_and_record(
                        {"type": "http.response.start", "status": status, "headers": headers}
                    )
                    await send_and_record({"type": "http.response.body", "body": body})
                finally:
                    entry["duration_real"] = round(time.time() - entry["rtime"], 6)
                    entry["vtime_end"] = self.world.now()
                return
        try:
            await self.app(scope, receive, send_and_record)
        finally:
            entry["duration_real"] = round(time.time() - entry["rtime"], 6)
            entry["vtime_end"] = self.world.now()
