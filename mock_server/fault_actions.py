"""What fault rules do to one API exchange: delays, errors, drops, slow or malformed bodies.

`apply` runs inside the exchange layer (mock_server/exchange.py) when a rule matched, around the
routed app: the journal's `send` sits under every wrapper here, so the journal records what the
client really got, and every applied fault is appended to that exchange's entry
(`entry["faults"]`). The control plane (/_mock) is never faulted.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemo_mock import contracts
from nemo_mock.server import strict_json
from nemo_mock.server.errors import ApiError, error_response
from nemo_mock.server.faults import Applied
from nemo_mock.server.turn_record import TurnOverrides
from nemo_mock.server.world import World, render_key


@cache
def render_poll() -> re.Pattern[str]:
    """The render-status path of contracts/openapi.yaml, capturing the render id."""
    head, _, tail = contracts.openapi_path("renderStatus").partition("{render_id}")
    return re.compile("^" + re.escape(head) + "([^/]+)" + re.escape(tail) + "$")


_DROP_WAIT = 2.0  # real seconds to wait for the server to notice the closed socket


class ConnectionDropped(ConnectionError):
    """Raised in place of closing the socket when the server offers no transport (in-process)."""


class ScopeHeaders(Mapping[str, str]):
    """A scope's headers by lower-case name (a repeated one: its last value), decoded only when
    a rule asks for one: with rules installed every API request is checked against them, and
    most rules never look at a header (decoding them all cost a polled read about 10% more
    instructions under callgrind, issue 12)."""

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        self._decoded: dict[str, str] | None = None

    def decoded(self) -> dict[str, str]:
        """Every header, decoded (once)."""
        if self._decoded is None:
            self._decoded = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self._raw}
        return self._decoded

    def __getitem__(self, name: str) -> str:
        return self.decoded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.decoded())

    def __len__(self) -> int:
        return len(self.decoded())


def pick(world: World, scope: Scope) -> tuple[list[Applied], dict[str, str]]:
    """The fault rules that apply to this exchange (counted as used) and its headers by name."""
    headers = ScopeHeaders(scope["headers"])
    applied = world.faults.pick(scope["method"], scope["path"], headers, world.rng)
    if not applied:
        return applied, {}
    entry: dict[str, Any] = scope.setdefault("state", {}).get("journal_entry", {})
    entry.setdefault("faults", []).extend(a.record for a in applied)
    return applied, headers.decoded()


class FaultedExchange:
    """One API exchange that fault rules matched: applies them around the routed app."""

    def __init__(self, world: World, app: ASGIApp, headers: dict[str, str]) -> None:
        self.world = world
        self.app = app
        self.headers = headers

    async def run(self, scope: Scope, receive: Receive, send: Send, applied: list[Applied]) -> None:
        """Answer as the `applied` rules say (calling the app unless one of them answers)."""
        headers = self.headers
        by_type: dict[str, Applied] = {}
        delay = 0.0
        turn: dict[str, Any] = {}
        for a in applied:
            by_type.setdefault(a.type, a)
            if a.type == "delay":
                delay += float(a.action["seconds"])
            elif a.type.startswith("sse_"):
                turn.update(_turn_fields(a.action))
        if delay:
            async with self.world.paused():  # (a shared world's other writers go on meanwhile)
                await self.world.clock.sleep(delay)
        if turn:
            scope["state"]["turn_overrides"] = _turn_overrides(turn)
        render = by_type.get("render_fail") or by_type.get("render_stall")
        if render is not None and scope["method"] == "GET":
            m = render_poll().match(scope["path"])
            render.record["effect"] = self._mark_render(
                headers, m.group(1) if m else None, render.type
            )
        last = applied[-1]
        if last.type == "drop":
            await _drop(scope, receive)
            return
        if last.type == "error":
            e = last.action
            exc = ApiError(e["code"], e.get("message"), e.get("data"), http_status=e.get("status"))
            await error_response(exc, self.world.settings.error_status)(scope, receive, send)
            return
        if last.type == "status":
            await _status_response(last.action)(scope, receive, send)
            return
        if "slow_body" in by_type:
            s = by_type["slow_body"].action
            send = _slow_send(send, self.world, int(s["chunk_bytes"]), float(s["gap_seconds"]))
        if "malformed_json" in by_type:
            send = _malformed_send(send)
        if render is not None and scope["method"] == "POST":
            captured: list[bytes] = []
            await self.app(scope, _tee(receive, captured), send)
            render.record["effect"] = self._mark_render(
                headers, _body_id(b"".join(captured)), render.type
            )
            return
        await self.app(scope, receive, send)

    def _mark_render(self, headers: dict[str, str], render_id: str | None, kind: str) -> str:
        """Make the user's render `render_id` fail or stall; says what happened (journalled)."""
        token = self.world.token_of(headers.get("authorization"))
        job = (
            self.world.renders.get(render_key(token.user_id, render_id))
            if token and render_id
            else None
        )
        if job is None:
            return "no render"
        from nemo_mock.server.renders import status_at

        status, _ = status_at(job, self.world.now())
        if status in ("completed", "failed"):
            return f"none: render already {status}"
        if kind == "render_fail":
            job.fails = True
            job.stalled = False
            return "render will fail"
        job.stalled = True
        return "render stalled"


def _turn_fields(action: dict[str, Any]) -> dict[str, Any]:
    kind = action["type"]
    if kind == "sse_silent_close":
        return {"silent": True}
    if kind == "sse_truncate":
        return {"truncate_after": int(action["after_frames"])}
    if kind == "sse_error":
        return {"error": action["message"]}
    if kind == "sse_stall":
        return {"stall": True}
    if kind == "sse_trailing_text":
        return {"trailing_text": True}
    return {k: v for k, v in action.items() if k != "type"}  # sse_turn


def _turn_overrides(fields: dict[str, Any]) -> TurnOverrides:
    """The turn engine's TurnOverrides from the merged fields."""
    return TurnOverrides.of(fields)


def _status_response(action: dict[str, Any]) -> Response:
    body = action.get("body")
    headers = {str(k): str(v) for k, v in (action.get("headers") or {}).items()}
    if body is None:
        return Response(b"", status_code=action["status"], headers=headers)
    if isinstance(body, str):
        return Response(
            body, status_code=action["status"], headers=headers, media_type="text/plain"
        )
    content = strict_json.dumps(body)
    return Response(content, action["status"], headers, media_type="application/json")


def transport_of(receive: Receive) -> Any:
    """The connection's transport behind uvicorn's `receive`, or None (another server, in-process).

    ASGI has no way to drop a connection without answering. uvicorn's `receive` is a bound method
    of its request cycle, which holds the transport (`RequestResponseCycle.transport`, in its h11
    and httptools protocols alike); tests/mock_server/test_drop.py pins that on both, so a uvicorn
    release that changes it fails the suite instead of turning every drop into a 500.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    return transport if hasattr(transport, "close") else None


async def _drop(scope: Scope, receive: Receive) -> None:
    """Close the socket without an answer (uvicorn), or raise ConnectionDropped (in-process)."""
    scope.setdefault("state", {}).setdefault("journal_entry", {})["dropped"] = True
    await drop_connection(receive)


async def drop_connection(receive: Receive) -> None:
    """Close the client's connection without an answer (uvicorn), or raise ConnectionDropped
    (in-process, where there is no socket)."""
    transport = transport_of(receive)
    if transport is None:
        raise ConnectionDropped("fault rule: connection dropped")
    transport.close()

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    # once uvicorn has seen the disconnect it sends nothing more (no 500 for a missing answer)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until_disconnect(), _DROP_WAIT)


def _tee(receive: Receive, captured: list[bytes]) -> Receive:
    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            captured.append(message.get("body", b""))
        return message

    return wrapped


def _body_id(body: bytes) -> str | None:
    try:
        data = strict_json.loads(body)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _slow_send(send: Send, world: World, chunk: int, gap: float) -> Send:
    """Trickle every body message in `chunk`-byte pieces, `gap` virtual seconds apart."""
    started = False

    async def wrapped(message: Message) -> None:
        nonlocal started
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
        for i, piece in enumerate(pieces):
            if started:
                await world.clock.sleep(gap)
            started = True
            await send(
                {
                    "type": "http.response.body",
                    "body": piece,
                    "more_body": more or i < len(pieces) - 1,
                }
            )

    return wrapped


def _malformed_send(send: Send) -> Send:
    """Answer 200 with the handler's body cut in half (never valid JSON)."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        cut = body[: len(body) // 2] if len(body) > 3 else b'{"code":0,"message":"succ'
        headers = [
            (k, v)
            for k, v in (start or {}).get("headers", [])
            if k.lower() not in (b"content-length", b"content-type")
        ]
        headers += [
            (b"content-length", str(len(cut)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": cut, "more_body": False})

    return wrapped
