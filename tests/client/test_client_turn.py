"""Reading one turn on a virtual clock (client/_turn.py)."""

from __future__ import annotations

from collections.abc import Iterator

from client_fakes import EMPTY_DATA, HEARTBEAT, FakeClock, text, tool_call, tool_result

from nemo_mock.client._errors import NetworkError
from nemo_mock.client._turn import (
    CLOSED,
    DROPPED,
    ERROR,
    STILL_WORKING,
    TIMEOUT,
    TurnResult,
    read_turn,
)


def run(chunks: list[bytes], tick: float = 0.0, scale: float = 1.0) -> tuple[TurnResult, list[str]]:
    clock = FakeClock()
    notices: list[str] = []

    def gen() -> Iterator[bytes]:
        for chunk in chunks:
            clock.t += tick
            yield chunk

    return read_turn(gen(), clock=clock, time_scale=scale, notify=notices.append), notices


def test_text_is_collected_and_tool_calls_are_hidden() -> None:
    """Text events go to the user; tool calls stay internal."""
    result, _ = run([tool_call("add_bgm"), tool_result("add_bgm"), text("Added music.")])
    assert result.texts == ["Added music."]
    assert result.ended == CLOSED
    assert result.tool_calls == ["tool_call:add_bgm", "tool_result:add_bgm"]


def test_partial_chunks_are_not_shown_twice() -> None:
    """Partial text chunks are followed by a final event with the full text: show it once."""
    chunks = [text("Hel", partial=True), text("lo!", partial=True), text("Hello!", partial=False)]
    result, _ = run(chunks)
    assert result.texts == ["Hello!"]


def test_partials_without_a_final_event_are_joined() -> None:
    """If the stream closes after partial chunks only, their concatenation is the answer."""
    result, _ = run([text("Hel", partial=True), text("lo", partial=True)])
    assert result.texts == ["Hello"]


def test_still_working_every_two_virtual_minutes() -> None:
    """Heartbeats keep it waiting; show "⏳ Still working..." every 2 minutes."""
    result, notices = run([HEARTBEAT, EMPTY_DATA] * 15 + [text("Done.")], tick=10.0)
    assert notices == [STILL_WORKING] * 2  # 300 virtual seconds → at 120 and 240
    assert result.texts == ["Done."]


def test_time_scale_turns_real_seconds_into_virtual_ones() -> None:
    """Waits scale by NEMO_TIME_SCALE: 0.25 real seconds at scale 600 are 150 virtual seconds."""
    _, notices = run([HEARTBEAT, HEARTBEAT], tick=0.125, scale=600.0)
    assert notices == [STILL_WORKING]


def test_ten_heartbeat_only_minutes_is_a_timeout() -> None:
    """v1.9: a turn that only heartbeats for 10 minutes counts as timed out."""
    result, _ = run([HEARTBEAT] * 100 + [text("late")], tick=10.0)
    assert result.ended == TIMEOUT
    assert result.texts == []


def test_tool_activity_resets_the_heartbeat_only_timer() -> None:
    """Only heartbeat-only minutes count: tool calls are activity."""
    chunks = ([HEARTBEAT] * 40 + [tool_call("gen")]) * 2 + [text("ok")]  # 830 s < 15 min cap
    result, _ = run(chunks, tick=10.0)
    assert result.ended == CLOSED and result.texts == ["ok"]


def test_trailing_temporary_issue_is_ignored() -> None:
    """A trailing "I encountered a temporary issue" text after a normal answer is ignored."""
    result, _ = run([text("Added a title."), text("I encountered a temporary issue.")])
    assert result.texts == ["Added a title."]


def test_trailing_temporary_issue_in_chinese_is_ignored() -> None:
    """The same trailing text in a Chinese session ("我遇到了临时问题") is ignored too."""
    result, _ = run([text("已添加标题。"), text("我遇到了临时问题，请稍后重试。")])
    assert result.texts == ["已添加标题。"]


def test_error_frame_ends_the_turn_as_error() -> None:
    """Mid-stream errors: data: {"error": ..., "error_details": ...}, then close."""
    result, _ = run([HEARTBEAT, b'data: {"error": "quota", "error_details": {}}\n\n'])
    assert (result.ended, result.error) == (ERROR, "quota")


def test_stream_cut_mid_frame_is_dropped() -> None:
    """Connection closed mid-frame is a dropped stream, not an answer."""
    result, _ = run([text("ok")[:20]])
    assert result.ended == DROPPED


def test_transport_error_is_dropped() -> None:
    """A transport error while reading is a dropped stream."""

    def broken() -> Iterator[bytes]:
        yield HEARTBEAT
        raise NetworkError("The stream broke.")

    result = read_turn(broken(), clock=FakeClock())
    assert result.ended == DROPPED


def test_close_without_text_is_silent() -> None:
    """About 30% of edits close the stream without any text part."""
    result, _ = run([HEARTBEAT, tool_call("edit"), tool_result("edit")])
    assert result.silent


def test_turn_is_cut_at_fifteen_minutes() -> None:
    """Seeds: max timeout 15 minutes, even while tools keep running."""
    result, _ = run([tool_call("gen")] * 100, tick=10.0)
    assert result.ended == TIMEOUT
