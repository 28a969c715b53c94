"""SSE framing (mock_server/sse.py): exact bytes, the pipe and truncation."""

from __future__ import annotations

import asyncio

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
