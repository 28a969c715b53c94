"""The SSE parser and classifier, byte for byte (client/_sse.py)."""

from __future__ import annotations

import json

import pytest
from client_fakes import adk
from hypothesis import given
from hypothesis import strategies as st

from nemo_mock.client._sse import Event, Frame, Kind, SseParser, classify, parse

D, C = "data", "comment"

BYTE_TABLE = [
    pytest.param([b"data: a\n\n"], [Frame(D, "a")], id="lf"),
    pytest.param([b"data: a\r\n\r\n"], [Frame(D, "a")], id="crlf"),
    pytest.param([b"data: a\r\r"], [Frame(D, "a")], id="cr"),
    pytest.param([b"data: a\r\n\n", b"data: b\r\r"], [Frame(D, "a"), Frame(D, "b")], id="mixed"),
    pytest.param([b"da", b"ta: a\r", b"\n\r", b"\n"], [Frame(D, "a")], id="crlf-split-chunks"),
    pytest.param([b"data: a\r", b"\r"], [Frame(D, "a")], id="cr-split-chunks"),
    pytest.param([b'data: {"x"', b":1}\n", b"\n"], [Frame(D, '{"x":1}')], id="json-split"),
    pytest.param([b": heartbeat\n\n"], [Frame(C, "heartbeat")], id="comment"),
    pytest.param([b":\n\n"], [Frame(C, "")], id="bare-comment"),
    pytest.param([b"data:\n\n"], [Frame(D, "")], id="empty-data"),
    pytest.param([b"data: \n\n"], [Frame(D, "")], id="empty-data-space"),
    pytest.param([b"data\n\n"], [Frame(D, "")], id="data-without-colon"),
    pytest.param([b"data: a\ndata: b\n\n"], [Frame(D, "a\nb")], id="multi-line-data"),
    pytest.param([b"data:a\n\n"], [Frame(D, "a")], id="no-space"),
    pytest.param([b"data:  a\n\n"], [Frame(D, " a")], id="one-space-stripped"),
    pytest.param([b"event: x\nid: 1\nretry: 5\ndata: a\n\n"], [Frame(D, "a")], id="other-fields"),
    pytest.param([b"\n\n\n"], [], id="blank-lines-only"),
    pytest.param([b'data: {"x":1}'], [Frame(D, '{"x":1}', False)], id="unterminated"),
    pytest.param([b"data: a\n"], [Frame(D, "a", False)], id="unterminated-after-line"),
    pytest.param([b"data: a\r"], [Frame(D, "a", False)], id="unterminated-cr"),
    pytest.param([b"data: \xc3", b"\xa9\n\n"], [Frame(D, "é")], id="utf8-split"),
    pytest.param([b"\xef\xbb\xbfdata: a\n\n"], [Frame(D, "a")], id="bom"),
    pytest.param(
        [b": hb\r\ndata:\r\n\r\ndata: x\r\n\r\n"],
        [Frame(C, "hb"), Frame(D, ""), Frame(D, "x")],
        id="heartbeats-mixed",
    ),
]


@pytest.mark.parametrize(("chunks", "frames"), BYTE_TABLE)
def test_parser_byte_table(chunks: list[bytes], frames: list[Frame]) -> None:
    """CRLF/CR/LF, frames split across chunks, comments, empty data, unterminated last frame."""
    assert parse(chunks) == frames


def test_feed_returns_frames_as_soon_as_they_complete() -> None:
    """Frames come out incrementally, not only when the stream closes."""
    parser = SseParser()
    assert parser.feed(b"data: a\n") == []
    assert parser.feed(b"\n: hb\n") == [Frame(D, "a"), Frame(C, "hb")]
    assert parser.close() == []


@given(st.lists(st.integers(min_value=0, max_value=200), max_size=12))
def test_any_chunking_gives_the_same_frames(cuts: list[int]) -> None:
    """Frames split anywhere across chunks parse exactly as the whole stream does."""
    stream = (
        b': hb\r\ndata: {"a": 1}\r\n\r\ndata:\r\rdata: x\ndata: y\n\n'
        b"data: \xe4\xbd\xa0\xe5\xa5\xbd\r\n\r\ndata: tail"
    )
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert parse(chunks) == parse([stream])


def _data(obj: object, terminated: bool = True) -> Frame:
    return Frame(D, json.dumps(obj), terminated)


CLASSIFY_TABLE = [
    pytest.param(Frame(C, "ping"), [Event(Kind.HEARTBEAT)], id="comment-heartbeat"),
    pytest.param(Frame(D, ""), [Event(Kind.HEARTBEAT)], id="empty-data-heartbeat"),
    pytest.param(_data(adk([{"text": "Hi"}])), [Event(Kind.TEXT, "Hi")], id="text"),
    pytest.param(
        _data(adk([{"text": "Hi"}], partial=True)),
        [Event(Kind.TEXT, "Hi", partial=True)],
        id="partial-text",
    ),
    pytest.param(
        _data(adk([{"functionCall": {"id": "1", "name": "add_bgm", "args": {}}}])),
        [Event(Kind.TOOL_CALL, name="add_bgm")],
        id="tool-call",
    ),
    pytest.param(
        _data(adk([{"functionResponse": {"id": "1", "name": "add_bgm", "response": {}}}])),
        [Event(Kind.TOOL_RESULT, name="add_bgm")],
        id="tool-result",
    ),
    pytest.param(
        _data({"error": "boom", "error_details": {"code": 500}}),
        [Event(Kind.ERROR, "boom", details={"code": 500})],
        id="error-frame",
    ),
    pytest.param(
        _data(adk([{"text": "a"}, {"functionCall": {"name": "f"}}])),
        [Event(Kind.TEXT, "a"), Event(Kind.TOOL_CALL, name="f")],
        id="two-parts",
    ),
    pytest.param(
        _data(adk([{"text": "hmm", "thought": True}])), [Event(Kind.OTHER)], id="thought-hidden"
    ),
    pytest.param(
        Frame(D, '{"content": {"par', False),
        [Event(Kind.TRUNCATED, '{"content": {"par')],
        id="cut-mid-frame",
    ),
    pytest.param(Frame(D, "not json"), [Event(Kind.OTHER, "not json")], id="garbage"),
    pytest.param(_data({"actions": {}}), [Event(Kind.OTHER)], id="no-content"),
]


@pytest.mark.parametrize(("frame", "events"), CLASSIFY_TABLE)
def test_classify_table(frame: Frame, events: list[Event]) -> None:
    """Events are text, tool call (functionCall), tool result (functionResponse), heartbeat
    (comment or empty data), or error; a frame cut off by the close is a truncation."""
    assert classify(frame) == events
