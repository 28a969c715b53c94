"""A scriptable fake of the nemo API on httpx.MockTransport (the client never sees mock_server)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

from nemo_mock import contracts

API = "http://api.test"
WEB = "http://web.test"
HEARTBEAT = b": heartbeat\n\n"
EMPTY_DATA = b"data:\n\n"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def frame(obj: dict[str, Any]) -> bytes:
    """One SSE frame as the API sends it."""
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def adk(parts: list[dict[str, Any]], partial: bool | None = None) -> dict[str, Any]:
    """An ADK event around ``parts``."""
    event: dict[str, Any] = {
        "id": "ev",
        "invocationId": "e-1",
        "author": "nemo_agent",
        "timestamp": 1.0,
        "content": {"role": "model", "parts": parts},
        "actions": {"stateDelta": {}},
    }
    if partial is not None:
        event["partial"] = partial
    return event


def text(value: str, partial: bool | None = None) -> bytes:
    return frame(adk([{"text": value}], partial))


def tool_call(name: str) -> bytes:
    return frame(adk([{"functionCall": {"id": "c1", "name": name, "args": {}}}]))


def tool_result(name: str) -> bytes:
    return frame(adk([{"functionResponse": {"id": "c1", "name": name, "response": {}}}]))


BGM_TRACK = {"tt": 1, "sg": [{"st": 0, "d": 10000, "m": {"name": "Lo-fi", "volume": 0.35}}]}
VIDEO_TRACK = {"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "city timelapse"}}]}


class FakeClock:
    """A clock the fake stream advances (real seconds)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class FakeBackend:
    """Default answers for every endpoint, one-shot overrides, and a request log."""

    def __init__(self, mode: str = "body") -> None:
        self.mode = mode
        self.requests: list[httpx.Request] = []
        self.overrides: dict[tuple[str, str], list[Reply]] = defaultdict(list)
        self.tokens: set[str] = set()
        self.minted = 0
        self.sessions = 0
        self.version = 1
        self.draft: dict[str, Any] = {"t": [dict(VIDEO_TRACK)], "d": 10000}
        self.streams: list[Callable[[], Iterable[bytes]]] = []
        self.render_script: list[dict[str, Any]] = []
        self.clock = FakeClock()

    # -- scripting -----------------------------------------------------------------------------

    def once(self, method: str, path: str, reply: Reply) -> None:
        """Answer the next matching request with ``reply``."""
        self.overrides[(method, path)].append(reply)

    def error(self, code: int, data: dict[str, Any] | None = None) -> httpx.Response:
        """An error envelope with the HTTP status of the current ``error_status`` mode."""
        spec = contracts.errors()[code]
        body = {"code": code, "message": spec.message, "data": data}
        return httpx.Response(spec.http_status(self.mode), json=body)

    def stream(self, *chunks: bytes, change: bool = False, tick: float = 0.0) -> None:
        """Script the next /run_sse answer; ``change`` bumps the state as the turn runs."""

        def gen() -> Iterator[bytes]:
            if change:
                self.change()
            for chunk in chunks:
                self.clock.t += tick
                yield chunk

        self.streams.append(gen)

    def dropping_stream(self, *chunks: bytes, change: bool = False) -> None:
        """Script a /run_sse answer that breaks after ``chunks``."""

        def gen() -> Iterator[bytes]:
            if change:
                self.change()
            yield from chunks
            raise httpx.RemoteProtocolError("peer closed connection mid-frame")

        self.streams.append(gen)

    def change(self) -> None:
        """The timeline gains a BGM track."""
        self.version += 1
        self.draft = {**self.draft, "t": [*self.draft["t"], dict(BGM_TRACK)]}

    # -- inspection ----------------------------------------------------------------------------

    def calls(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and (path is None or r.url.path.startswith(path))
        ]

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- the API -------------------------------------------------------------------------------

    def ok(self, data: Any) -> httpx.Response:
        return httpx.Response(200, json={"code": 0, "message": "ok", "data": data})

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        request.read()
        queue = self.overrides.get((request.method, request.url.path))
        if queue:
            reply = queue.pop(0)
            return reply(request) if callable(reply) else reply
        path = request.url.path
        if path == "/api/auth/anonymous-token":
            if not request.headers.get("X-Client-Id", "").strip():
                return self.error(400)
            self.minted += 1
            token = f"nmv_usr_SECRET{self.minted}"
            self.tokens.add(token)
            return self.ok({"token": token, "credits": 100, "expires_in": 604800})
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.tokens:
            return self.error(1001)
        if path == "/api/tasks/me/with-session/nemo_agent":
            self.sessions += 1
            return self.ok({"task_id": f"task_{self.sessions}", "session_id": f"s_{self.sessions}"})
        if path == "/api/credits/balance/simple":
            return self.ok({"available": 70, "frozen": 30, "total": 100})
        if path.startswith("/api/state/"):
            state = {"draft": self.draft, "video_infos": [], "generated_media": []}
            return self.ok({"task_id": "task_1", "version": self.version, "state": state})
        if path.startswith("/api/upload-video/"):
            return self.ok(
                {"files": [{"file_id": "f1", "filename": "a.mp4", "type": "video", "size": 2048}]}
            )
        if path == "/run_sse":
            gen = self.streams.pop(0) if self.streams else lambda: iter([text("Sure.")])
            headers = {"content-type": "text/event-stream; charset=utf-8"}
            return httpx.Response(200, headers=headers, content=gen())
        if path == "/api/render/proxy/lambda" and request.method == "POST":
            body = json.loads(request.content)
            return self.ok({"id": body["id"], "status": "pending", "progress": 0, "output": None})
        if path.startswith("/api/render/proxy/lambda/"):
            rid = path.rsplit("/", 1)[1]
            step = self.render_script.pop(0) if self.render_script else {"status": "completed"}
            output = {"url": f"/media/renders/{rid}.mp4"} if step["status"] == "completed" else None
            return self.ok({"id": rid, "progress": 1.0, "output": output, "error": None, **step})
        if path.startswith("/api/render/proxy/") and path.endswith("/download"):
            mp4 = {"content-type": "video/mp4"}
            return httpx.Response(200, content=b"MP4-FALLBACK", headers=mp4)
        if path == "/api/auth/claim-token":
            return self.ok({"claim_token": "clm_abc", "expires_in": 3600})
        return self.error(404)

    def media(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"MP4-BYTES", headers={"content-type": "video/mp4"})


class MediaAwareBackend(FakeBackend):
    """Serves ``/media/...`` without auth, as the API's output.url does."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/media/") and not self.overrides.get(
            (request.method, request.url.path)
        ):
            self.requests.append(request)
            return self.media(request)
        return super().handle(request)
