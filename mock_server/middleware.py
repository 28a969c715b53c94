"""Journal middleware: one entry per exchange, written at arrival and completed at the end.

Pure ASGI (no BaseHTTPMiddleware) so it costs little per request. The body code is read from the
scope state the Envelope response leaves there, never by parsing the body.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.journal import ATTRIBUTION, redact_headers
from mock_server.world import World

CONTROL_PREFIX = "/_mock"


class JournalMiddleware:
    """Record every API exchange (the control plane is not journalled)."""

    def __init__(self, app: ASGIApp, world: World) -> None:
        self.app = app
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = redact_headers(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
        )
        client = scope.get("client")
        entry: dict[str, Any] = {
            "vtime": self.world.now(),
            "rtime": time.time(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "client": client[0] if client else None,
            "headers": headers,
            "missing_attribution": [h for h in ATTRIBUTION if h not in headers],
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

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            entry["duration_real"] = round(time.time() - entry["rtime"], 6)
            entry["vtime_end"] = self.world.now()
