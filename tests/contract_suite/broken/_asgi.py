"""ASGI wrappers that break one rule of the emulator's answers (for the broken servers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RewriteJson:
    """ASGI middleware that rewrites JSON bodies of matching paths.

    It buffers them, so it is for tiny bodies only.
    """

    def __init__(
        self,
        app: ASGIApp,
        path_prefix: str,
        edit: Callable[[dict[str, Any], Scope], dict[str, Any]],
    ) -> None:
        self.app, self.prefix, self.edit = app, path_prefix, edit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                ctype = dict(start.get("headers", [])).get(b"content-type", b"")
                if b"json" not in ctype:
                    if start:
                        await send(dict(start))
                        start.clear()
                    await send(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = json.loads(b"".join(chunks))
                new = json.dumps(self.edit(body, scope)).encode()
                status = start["status"]
                if isinstance(body, dict) and "__status__" in body:
                    status = body.pop("__status__")
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(new)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": new})
                return
            await send(message)

        await self.app(scope, receive, capture)


class EditRequest:
    """Rewrites the request headers of matching requests before the emulator sees them."""

    def __init__(
        self,
        app: ASGIApp,
        match: Callable[[Scope], bool],
        edit: Callable[[dict[bytes, bytes]], dict[bytes, bytes]],
    ) -> None:
        self.app, self.match, self.edit = app, match, edit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.match(scope):
            headers = self.edit({k.lower(): v for k, v in scope["headers"]})
            scope = {**scope, "headers": list(headers.items())}
        await self.app(scope, receive, send)


class EditStream:
    """Rewrites the body chunks of /run_sse event streams; `tail` is sent before the close."""

    def __init__(
        self, app: ASGIApp, chunk: Callable[[bytes], bytes] = lambda b: b, tail: bytes = b""
    ) -> None:
        self.app, self.chunk, self.tail = app, chunk, tail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/run_sse":
            await self.app(scope, receive, send)
            return
        streaming = False

        async def edited(message: Message) -> None:
            nonlocal streaming
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                streaming = ctype.startswith(b"text/event-stream")
            elif message["type"] == "http.response.body" and streaming:
                body = self.chunk(message.get("body", b""))
                if not message.get("more_body"):
                    body += self.tail
                message = {**message, "body": body}
            await send(message)

        await self.app(scope, receive, edited)


class JsonAsStream:
    """Sends /run_sse's JSON answers (pre-stream errors) as a 200 event stream instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/run_sse":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if b"json" not in ctype:
                    await send(message)
                    return
                start.update(message)
                return
            if not start:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            frame = b"data: " + json.dumps(json.loads(b"".join(chunks))).encode() + b"\n\n"
            headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": frame})

        await self.app(scope, receive, capture)
