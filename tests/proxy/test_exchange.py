"""The SSE reader cuts a byte stream into blocks exactly, however it is chunked; bodies are
redacted."""

from __future__ import annotations

import pytest

from nemo_mock.proxy import SseReader
from nemo_mock.proxy._exchange import redact_body
from nemo_mock.server.journal import fingerprint

STREAM = b': ping\n\ndata:\n\ndata: {"id":"e1"}\n\nevent: x\ndata: {}\n\ndata: not json\n\n'
EXPECTED = [
    ("comment", []),
    ("empty", []),
    ("json", []),
    ("json", ["forbidden SSE field: 'event: x'"]),
    ("bad", []),
]


@pytest.mark.parametrize("size", [1, 3, 7, len(STREAM)])
def test_blocks_come_out_the_same_for_any_chunking(size: int) -> None:
    """Frames are cut at blank lines whatever the chunk boundaries."""
    reader = SseReader()
    frames = []
    for i in range(0, len(STREAM), size):
        frames.extend(reader.feed(STREAM[i : i + size], 0.0))
    assert [(f.kind, f.issues) for f in frames] == EXPECTED
    assert reader.tail == b""


def test_crlf_frames_are_read_and_flagged() -> None:
    """CRLF separators are still frames, with a framing issue noted."""
    frames = SseReader().feed(b'data: {"a":1}\r\n\r\n', 0.0)
    assert [(f.kind, f.data, f.issues) for f in frames] == [
        ("json", {"a": 1}, ["CR in a frame (LF only)"])
    ]


def test_an_unfinished_block_stays_in_the_tail() -> None:
    """What follows the last blank line is not a frame yet."""
    reader = SseReader()
    assert reader.feed(b'data: {"id":', 0.0) == []
    assert reader.tail == b'data: {"id":'


def test_tokens_in_bodies_become_fingerprints() -> None:
    """'Tokens are redacted in everything recorded.'"""
    body = b'{"data":{"token":"nmv_usr_AbC-12_x"}}'
    assert (
        redact_body(body)
        == b'{"data":{"token":"' + fingerprint("nmv_usr_AbC-12_x").encode() + b'"}}'
    )
