"""Heartbeats written straight to uvicorn's socket (sse.socket_writer) on a real uvicorn.

The short cut reads uvicorn's request cycle behind `receive` (its transport, `chunked_encoding`,
`disconnected`, `response_complete`, `flow.write_paused`). These tests pin that on the installed
uvicorn: a release that moves any of them makes `socket_writer` decline (every heartbeat then takes
`send`) and the first test fails, instead of streams breaking.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import time
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from nemo_mock.server import sse
from nemo_mock.server.serving import LiveServer

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


@pytest.mark.live
@pytest.mark.parametrize("http", PROTOCOLS)
def test_a_heartbeat_between_frames_is_its_own_chunk_in_order(http: str) -> None:
    """httptools: the idle response lets heartbeats go to the socket; h11: they take `send`.
    Either way the wire is the same: frame, heartbeat, frame, each its own HTTP/1.1 chunk."""
    direct: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
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

    with LiveServer(app=app, http=http) as live:
        raw = _raw_exchange(live.url)
    assert raw.split(b"\r\n\r\n", 1)[1] == (
        b'a\r\ndata: {}\n\n\r\nd\r\n: heartbeat\n\n\r\nf\r\ndata: {"a":1}\n\n\r\n0\r\n\r\n'
    )
    assert direct == [http == "httptools"]


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


def _scope(faults: list[Any] | None = None) -> Scope:
    entry: dict[str, Any] = {"status": 200} if faults is None else {"faults": faults}
    return {"type": "http", "state": {"journal_entry": entry}}


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


def test_no_writer_without_chunked_framing_or_a_uvicorn_cycle() -> None:
    """h11 (no `chunked_encoding`), a Content-Length body, or a plain `receive`: take `send`."""

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    assert sse.socket_writer(_scope(), _Cycle(chunked_encoding=False).receive) is None
    assert sse.socket_writer(_scope(), _Cycle(chunked_encoding=None).receive) is None
    assert sse.socket_writer(_scope(), receive) is None
