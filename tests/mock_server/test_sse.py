"""SSE framing (mock_server/sse.py): exact bytes, the pipe and truncation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nemo_mock.server import sse


@pytest.mark.parametrize(
    ("obj", "wire"),
    [
        pytest.param({"a": 1, "b": [1, 2]}, b'data: {"a":1,"b":[1,2]}\n\n', id="compact"),
        pytest.param(
            {"text": "点击导出"}, 'data: {"text":"点击导出"}\n\n'.encode(), id="utf8-kept"
        ),
        pytest.param({"t": "a\nb"}, b'data: {"t":"a\\nb"}\n\n', id="newline-escaped"),
        pytest.param(
            {"x": 1.5, "ok": True, "n": None},
            b'data: {"x":1.5,"ok":true,"n":null}\n\n',
            id="scalars",
        ),
    ],
)
def test_frame_is_data_line_with_compact_json_and_blank_line(obj: object, wire: bytes) -> None:
    """'each frame exactly `data: <compact JSON>\\n\\n`' (LF only, no event:/id: lines)."""
    assert sse.frame(obj) == wire


def test_frame_has_no_carriage_returns_or_extra_fields() -> None:
    """'LF only, no `event:`/`id:` lines'."""
    wire = sse.frame({"id": "x", "event": "y", "text": "multi\r\nline"})
    assert b"\r" not in wire and wire.count(b"\n") == 2 and wire.startswith(b"data: {")


def test_error_frame_bytes() -> None:
    """Mid-stream errors: `data: {"error": "...", "error_details": {...}}` [ADK]."""
    assert (
        sse.error_frame("boom", {"code": 500})
        == b'data: {"error":"boom","error_details":{"code":500}}\n\n'
    )


@pytest.mark.parametrize(
    ("style", "index", "wire"),
    [
        pytest.param("comment", 0, b": heartbeat\n\n", id="comment-0"),
        pytest.param("comment", 1, b": heartbeat\n\n", id="comment-1"),
        pytest.param("data", 0, b"data: \n\n", id="data-0"),
        pytest.param("data", 7, b"data: \n\n", id="data-7"),
        pytest.param("mixed", 0, b": heartbeat\n\n", id="mixed-0-comment"),
        pytest.param("mixed", 1, b"data: \n\n", id="mixed-1-data"),
        pytest.param("mixed", 2, b": heartbeat\n\n", id="mixed-2-comment"),
    ],
)
def test_heartbeat_bytes(style: str, index: int, wire: bytes) -> None:
    """Heartbeats are `: heartbeat\\n\\n` or `data: \\n\\n`; mixed alternates, comment first."""
    assert sse.heartbeat(style, index) == wire


@pytest.mark.parametrize(
    ("chunk", "half"),
    [
        pytest.param(b'data: {"a":1}\n\n', b"data: {", id="odd"),
        pytest.param(b"abcd", b"ab", id="even"),
    ],
)
def test_truncated_keeps_the_first_half(chunk: bytes, half: bytes) -> None:
    """'send half of the next frame's bytes, no trailing blank line'."""
    assert sse.truncated(chunk) == half and not sse.truncated(chunk).endswith(b"\n\n")


def test_pipe_delivers_in_order_then_ends() -> None:
    """The response forwards the turn's frames in order and ends when the turn closes the pipe."""

    async def scenario() -> list[list[bytes]]:
        pipe = sse.Pipe()
        pipe.put(b"1")
        pipe.put(b"2")
        first = await pipe.get()
        pipe.put(b"3")
        pipe.close()
        pipe.put(b"late")
        return [first, await pipe.get(), await pipe.get()]

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == [[b"1", b"2"], [b"3"], []]


def test_pipe_drops_frames_once_detached() -> None:
    """A turn keeps running after its client is gone, without buffering for nobody."""
    pipe = sse.Pipe()
    pipe.put(b"1")
    pipe.detach()
    pipe.put(b"2")
    assert asyncio.run(asyncio.wait_for(pipe.get(), 5)) == []


def test_pipe_get_waits_for_a_frame() -> None:
    """The consumer sleeps until the producer puts a frame (no polling)."""

    async def scenario() -> list[bytes]:
        pipe = sse.Pipe()
        asyncio.get_running_loop().call_later(0.01, pipe.put, b"x")
        return await pipe.get()

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == [b"x"]


def _waiting_pipe(direct: list[bytes], accept: bool = True) -> tuple[sse.Pipe, Any]:
    """A pipe whose consumer waits in `get()`, with a direct writer recording what it took."""

    def write(chunk: bytes) -> bool:
        if accept:
            direct.append(chunk)
        return accept

    pipe = sse.Pipe()
    pipe.direct = write
    return pipe, asyncio.ensure_future(pipe.get())


def test_a_heartbeat_to_a_waiting_consumer_goes_to_the_direct_writer() -> None:
    """Everything before it went out and the consumer waits: the heartbeat skips the queue."""

    async def scenario() -> tuple[list[bytes], bool]:
        direct: list[bytes] = []
        pipe, getter = _waiting_pipe(direct)
        await asyncio.sleep(0)  # the consumer is now waiting
        pipe.beat(b": heartbeat\n\n")
        await asyncio.sleep(0)
        woken = getter.done()
        getter.cancel()
        return direct, woken

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == ([b": heartbeat\n\n"], False)


def test_a_heartbeat_behind_queued_frames_waits_its_turn() -> None:
    """Frames still queued go first: the heartbeat is queued behind them, in order."""

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        direct: list[bytes] = []
        pipe, getter = _waiting_pipe(direct)
        await asyncio.sleep(0)
        pipe.put(b"data: {}\n\n")
        pipe.beat(b": heartbeat\n\n")
        return direct, await getter

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == (
        [],
        [b"data: {}\n\n", b": heartbeat\n\n"],
    )


def test_a_heartbeat_the_direct_writer_declines_is_queued() -> None:
    """A paused or closed socket declines: the heartbeat takes the response's `send`."""

    async def scenario() -> list[bytes]:
        pipe, getter = _waiting_pipe([], accept=False)
        await asyncio.sleep(0)
        pipe.beat(b"data: \n\n")
        return await getter

    assert asyncio.run(asyncio.wait_for(scenario(), 5)) == [b"data: \n\n"]


def _serve(response: sse.SseResponse, disconnect: bool = False) -> list[dict[str, object]]:
    """Run `response` as ASGI and return every message it sent (5 s deadline)."""
    sent: list[dict[str, object]] = []
    gone = asyncio.Event()

    async def receive() -> dict[str, object]:
        if disconnect:
            return {"type": "http.disconnect"}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/run_sse", "headers": []}
    asyncio.run(asyncio.wait_for(response(scope, receive, send), 5))  # type: ignore[arg-type]
    return sent


def test_sse_response_head_is_event_stream_without_content_length() -> None:
    """A StreamingResponse set up by its own __init__: event-stream type, no Content-Length."""
    pipe = sse.Pipe()
    pipe.put(b"data: {}\n\n")
    pipe.close()
    start = _serve(sse.SseResponse(pipe))[0]
    assert start["status"] == 200
    assert start["headers"] == [
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
        (b"content-type", b"text/event-stream; charset=utf-8"),
    ]


def test_sse_response_forwards_frames_then_ends_the_body() -> None:
    """Every queued frame is sent, then an empty last body message; on_end hears "closed"."""
    pipe = sse.Pipe()
    for chunk in (b": heartbeat\n\n", b"data: {}\n\n"):
        pipe.put(chunk)
    pipe.close()
    ends: list[str] = []
    sent = _serve(sse.SseResponse(pipe, on_end=ends.append))
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b": heartbeat\n\ndata: {}\n\n"  # type: ignore[misc]
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert ends == ["closed"]


def test_sse_response_truncates_mid_frame_after_n_data_frames() -> None:
    """truncate_after=1: one whole data frame, half of the next, then the end ("truncated")."""
    pipe = sse.Pipe()
    for chunk in (b"data: {}\n\n", b": heartbeat\n\n", b'data: {"ab":1}\n\n'):
        pipe.put(chunk)
    ends: list[str] = []
    sent = _serve(sse.SseResponse(pipe, truncate_after=1, on_end=ends.append))
    body = b"".join(m.get("body", b"") for m in sent[1:])  # type: ignore[misc]
    assert body == b'data: {}\n\n: heartbeat\n\ndata: {"'  # 8 of the last frame's 16 bytes
    assert ends == ["truncated"]


def test_sse_response_ends_when_the_client_disconnects() -> None:
    """A disconnect detaches the pipe: the response ends and on_end hears "client_gone"."""
    pipe = sse.Pipe()
    ends: list[str] = []
    _serve(sse.SseResponse(pipe, on_end=ends.append), disconnect=True)
    assert ends == ["client_gone"]
    assert pipe.detached
