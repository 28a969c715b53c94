"""Heartbeats written straight to uvicorn's socket (sse.socket_writer) on a real uvicorn.

The short cut reads uvicorn's request cycle behind `receive` (its transport, `chunked_encoding`,
`disconnected`, `response_complete`, `flow.write_paused`). These tests pin that on the installed
uvicorn: a release that moves any of them makes `socket_writer` decline (every heartbeat then takes
`send`) and the first test fails, instead of streams breaking.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import socket
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from nemo_mock.server import sse
from nemo_mock.server.app import EmulatorApp
from nemo_mock.server.serving import LiveServer
from tests.conftest import ATTRIBUTION

PROTOCOLS = [
    "h11",
    pytest.param(
        "httptools",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("httptools") is None,
            reason="httptools not installed (pip install 'nemo-mock[fast]')",
        ),
    ),
]
BEAT = b": heartbeat\n\n"


def _raw_exchange(url: str, deadline: float = 10.0) -> bytes:
    """POST / over a raw socket; everything the server sent up to the chunked body's end."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=deadline) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        data, end = b"", time.monotonic() + deadline
        while not data.endswith(b"\r\n0\r\n\r\n") and time.monotonic() < end:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def _stream_app(direct: list[bool]) -> Any:
    """An app streaming frame, heartbeat, frame through SseResponse (noting the server's `send`
    as EmulatorApp does); `direct` records whether the heartbeat could skip `send`."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        sse.note_server_send(scope, receive, send)
        loop = asyncio.get_running_loop()
        pipe = sse.Pipe()
        pipe.put(b"data: {}\n\n")

        def beat() -> None:
            direct.append(pipe.direct is not None)
            pipe.beat(BEAT)

        def last() -> None:
            pipe.put(b'data: {"a":1}\n\n')
            pipe.close()

        loop.call_later(0.1, beat)
        loop.call_later(0.2, last)
        await sse.SseResponse(pipe)(scope, receive, send)

    return app


WIRE = b'a\r\ndata: {}\n\n\r\nd\r\n: heartbeat\n\n\r\nf\r\ndata: {"a":1}\n\n\r\n0\r\n\r\n'


@pytest.mark.live
@pytest.mark.parametrize("http", PROTOCOLS)
def test_a_heartbeat_between_frames_is_its_own_chunk_in_order(http: str) -> None:
    """httptools: the idle response lets heartbeats go to the socket; h11: they take `send`.
    Either way the wire is the same: frame, heartbeat, frame, each its own HTTP/1.1 chunk."""
    direct: list[bool] = []
    with LiveServer(app=_stream_app(direct), http=http) as live:
        raw = _raw_exchange(live.url)
    assert raw.split(b"\r\n\r\n", 1)[1] == WIRE
    assert direct == [http == "httptools"]


@pytest.mark.live
def test_a_middleware_around_the_app_sees_every_heartbeat() -> None:
    """A wrapper's `send` is not the server's: heartbeats go through it (it may rewrite them)."""
    direct: list[bool] = []
    bodies: list[bytes] = []
    inner = _stream_app(direct)

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        async def recording(message: Message) -> None:
            bodies.append(message.get("body", b""))
            await send(message)

        await inner(scope, receive, recording)

    with LiveServer(app=wrapper) as live:
        raw = _raw_exchange(live.url)
    assert raw.split(b"\r\n\r\n", 1)[1] == WIRE
    assert direct == [False] and BEAT in bodies


class _Cycle:
    """What `socket_writer` reads from uvicorn's request cycle, with a recording transport."""

    def __init__(self, **state: Any) -> None:
        self.written: list[bytes] = []
        self.transport = SimpleNamespace(write=self.written.append)
        self.chunked_encoding = state.get("chunked_encoding", True)
        self.disconnected = state.get("disconnected", False)
        self.response_complete = state.get("response_complete", False)
        self.flow = SimpleNamespace(write_paused=state.get("write_paused", False))

    async def receive(self) -> Message:
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        return None


def _scope(faults: list[Any] | None = None, server_send: bool = True) -> Scope:
    entry: dict[str, Any] = {"status": 200} if faults is None else {"faults": faults}
    scope: Scope = {"type": "http", "state": {"journal_entry": entry}}
    if server_send:
        scope[sse.SERVER_SEND] = True
    return scope


def test_the_writer_frames_a_heartbeat_as_one_http_chunk() -> None:
    """`%x CRLF data CRLF`, as uvicorn's own `send` frames a body message."""
    cycle = _Cycle()
    writer = sse.socket_writer(_scope(), cycle.receive)
    assert writer is not None and writer(BEAT) is True
    assert cycle.written == [b"d\r\n: heartbeat\n\n\r\n"]


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"write_paused": True}, id="flow-paused"),
        pytest.param({"disconnected": True}, id="client-gone"),
        pytest.param({"response_complete": True}, id="response-complete"),
    ],
)
def test_the_writer_declines_when_send_must_decide(state: dict[str, bool]) -> None:
    """Paused for flow control, client gone or body ended: nothing written, the beat takes send."""
    cycle = _Cycle()
    writer = sse.socket_writer(_scope(), cycle.receive)
    assert writer is not None
    for key, value in state.items():
        setattr(cycle.flow if key == "write_paused" else cycle, key, value)
    assert writer(BEAT) is False and cycle.written == []


def test_no_writer_when_a_fault_rule_matched_the_exchange() -> None:
    """A fault rule may wrap `send` (slow_body, malformed_json): heartbeats go through it."""
    assert sse.socket_writer(_scope(faults=[{"type": "slow_body"}]), _Cycle().receive) is None


def test_no_writer_when_the_app_was_not_handed_the_servers_send() -> None:
    """No `note_server_send` mark (a middleware wraps the app): heartbeats take `send`."""
    assert sse.socket_writer(_scope(server_send=False), _Cycle().receive) is None


def test_the_servers_send_is_noted_only_when_bound_to_the_same_cycle() -> None:
    """`send` bound to the cycle behind `receive` is the server's; a wrapper function is not."""
    cycle = _Cycle()

    async def wrapped(message: Message) -> None:
        return None

    noted: Scope = {"type": "http"}
    sse.note_server_send(noted, cycle.receive, cycle.send)
    other: Scope = {"type": "http"}
    sse.note_server_send(other, cycle.receive, wrapped)
    assert noted.get(sse.SERVER_SEND) is True and sse.SERVER_SEND not in other


def test_no_writer_without_chunked_framing_or_a_uvicorn_cycle() -> None:
    """h11 (no `chunked_encoding`), a Content-Length body, or a plain `receive`: take `send`."""

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    assert sse.socket_writer(_scope(), _Cycle(chunked_encoding=False).receive) is None
    assert sse.socket_writer(_scope(), _Cycle(chunked_encoding=None).receive) is None
    assert sse.socket_writer(_scope(), receive) is None


def _unchecked_call() -> Any:
    """EmulatorApp.__call__ without tests/wire_check.py's wrapper (conftest wraps the class so
    that every answer is checked; its `send` is not the server's, so heartbeats take `send`)."""
    call = EmulatorApp.__call__
    return inspect.getclosurevars(call).nonlocals.get("call", call)


@pytest.mark.live
def test_the_served_emulator_writes_heartbeats_to_the_socket(
    live_server: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nemo-mock serve` as configured (httptools when installed, nothing around the app): a
    stalled turn's heartbeats are written by the socket writer, and arrive as heartbeats."""
    if importlib.util.find_spec("httptools") is None:
        pytest.skip("httptools not installed (pip install 'nemo-mock[fast]')")
    written: list[bytes] = []
    real = sse.socket_writer

    def spy(scope: Scope, receive: Receive) -> Callable[[bytes], bool] | None:
        writer = real(scope, receive)
        if writer is None:
            return None

        def write(chunk: bytes) -> bool:
            written.append(chunk)
            return writer(chunk)

        return write

    monkeypatch.setattr(sse, "socket_writer", spy)
    monkeypatch.setattr(EmulatorApp, "__call__", _unchecked_call())
    server = live_server(stall_turns=True, heartbeat_interval=1, time_scale=50)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        token = http.post(
            "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": "sw"}
        ).json()["data"]["token"]
        auth = {**ATTRIBUTION, "Authorization": f"Bearer {token}"}
        sid = http.post(
            "/api/tasks/me/with-session/nemo_agent", headers=auth, json={"task_name": "p"}
        ).json()["data"]["session_id"]
        body = {
            "app_name": "nemo_agent",
            "session_id": sid,
            "new_message": {"parts": [{"text": "hi"}]},
        }
        seen = b""
        with http.stream("POST", "/run_sse", headers=auth, json=body) as r:
            for chunk in r.iter_bytes():
                seen += chunk
                if seen.count(b"\n\n") >= 3:
                    break
    assert seen.split(b"\n\n")[:3] == [b": heartbeat", b"data: ", b": heartbeat"]
    assert written[:3] == [b": heartbeat\n\n", b"data: \n\n", b": heartbeat\n\n"]
