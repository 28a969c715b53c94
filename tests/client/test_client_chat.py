"""SSE turns through the Agent: translation, silent close, dropped streams (client/_workflow.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

from client_fakes import HEARTBEAT, MediaAwareBackend, text, tool_call, tool_result

from nemo_mock.client import Agent

STATE_PATH = "/api/state/nemo_agent/me/s_1/latest"


def test_turn_request_is_the_documented_one(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """POST /run_sse {app_name, user_id, session_id, new_message}, Accept: text/event-stream."""
    make_agent().handle("add background music")
    (request,) = backend.calls("POST", "/run_sse")
    assert request.headers["Accept"] == "text/event-stream"
    assert json.loads(request.content) == {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": "s_1",
        "new_message": {"parts": [{"text": "add background music"}]},
    }


def test_text_is_shown_after_gui_translation(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """Text events go to the user after GUI translation; tool calls stay internal."""
    backend.stream(
        tool_call("add_bgm"),
        tool_result("add_bgm"),
        text("Done! Click the Export button to download your video."),
    )
    outcome = make_agent().handle("add background music")
    assert outcome.exit_code == 0
    assert "Click" not in outcome.output and "add_bgm" not in outcome.output
    assert outcome.output.endswith('Done!\nSay "export" to render and download it.')


def test_preview_in_timeline_shows_the_track_summary(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """ "preview in timeline" → show a text summary of current tracks."""
    backend.stream(text("Added the title. Preview it in the timeline."))
    outcome = make_agent().handle("add a title")
    assert "Added the title." in outcome.output
    assert "Timeline (1 track): 1. Video: city timelapse (0-10s)" in outcome.output


def test_partial_text_is_not_shown_twice(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """Partial chunks are followed by a final event with the full text: don't show text twice."""
    backend.stream(text("Added ", partial=True), text("music.", partial=True), text("Added music."))
    assert make_agent().handle("add music").output.count("Added") == 1


def test_still_working_is_shown_while_heartbeats_arrive(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """Heartbeats keep it waiting; "⏳ Still working..." every 2 minutes."""
    backend.stream(*[HEARTBEAT] * 25, text("Here is your video."), tick=10.0)
    outcome = make_agent().handle("generate a video")
    assert outcome.output.count("⏳ Still working...") == 2
    assert outcome.output.endswith("Here is your video.")


def test_silent_close_reports_the_state_change_without_resending(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """~30% of edits close without text: poll /api/state, tell the user what was updated."""
    backend.stream(HEARTBEAT, tool_call("add_bgm"), tool_result("add_bgm"), change=True)
    outcome = make_agent().handle("add background music")
    assert outcome.exit_code == 0
    assert "Added: BGM: Lo-fi (0-10s, 35%)" in outcome.output
    assert "Timeline (2 tracks)" in outcome.output
    assert len(backend.calls("POST", "/run_sse")) == 1


def test_heartbeat_only_timeout_exits_3(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """10 heartbeat-only minutes is a timeout (exit 3), and nothing is re-sent."""
    backend.stream(*[HEARTBEAT] * 70, tick=10.0)
    outcome = make_agent().handle("generate a video")
    assert outcome.exit_code == 3
    assert len(backend.calls("POST", "/run_sse")) == 1


def test_dropped_stream_follows_the_30_then_60_second_schedule(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], sleeps: list[float]
) -> None:
    """Dropped stream: never re-send; wait 30 s, query; unchanged → 60 s; 5 unchanged → failure."""
    backend.dropping_stream(HEARTBEAT, text("Working on it")[:25])
    outcome = make_agent().handle("add background music")
    assert outcome.exit_code == 3
    assert sleeps == [30.0, 60.0, 60.0, 60.0, 60.0]
    assert len(backend.calls("GET", STATE_PATH)) == 1 + 5  # the pre-turn state, then 5 checks
    assert len(backend.calls("POST", "/run_sse")) == 1
    assert "Say the same request again to retry" in outcome.output


def test_dropped_stream_reports_a_change_when_the_state_moves(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], sleeps: list[float]
) -> None:
    """Dropped stream: changed → report; no further waits and no re-send."""
    backend.dropping_stream(HEARTBEAT)
    agent = make_agent()
    agent.ensure_ready()
    real_sleep = sleeps.append

    def sleep(seconds: float) -> None:
        real_sleep(seconds)
        if len(sleeps) == 3:
            backend.change()  # the turn lands while we wait

    agent._sleep = sleep
    outcome = agent.handle("add background music")
    assert outcome.exit_code == 0
    assert sleeps == [30.0, 60.0, 60.0]
    assert "Added: BGM: Lo-fi" in outcome.output
    assert len(backend.calls("POST", "/run_sse")) == 1


def test_dropped_stream_waits_scale_with_time_scale(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], sleeps: list[float]
) -> None:
    """Its own waits scale by NEMO_TIME_SCALE (real wait = documented seconds / scale)."""
    backend.dropping_stream(HEARTBEAT)
    make_agent(time_scale=60.0).handle("add music")
    assert sleeps == [0.5, 1.0, 1.0, 1.0, 1.0]


def test_error_frame_is_reported_and_not_resent(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """Error frames: data: {"error": ..., "error_details": ...}; never re-send."""
    backend.stream(HEARTBEAT, b'data: {"error": "model overloaded", "error_details": {}}\n\n')
    outcome = make_agent().handle("add music")
    assert outcome.exit_code == 1
    assert "model overloaded" in outcome.output
    assert len(backend.calls("POST", "/run_sse")) == 1


def test_trailing_temporary_issue_is_not_shown(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent]
) -> None:
    """A trailing "I encountered a temporary issue" text after a normal answer is ignored."""
    backend.stream(text("Added a title."), text("I encountered a temporary issue."))
    outcome = make_agent().handle("add a title")
    assert outcome.exit_code == 0
    assert "temporary issue" not in outcome.output


def test_pre_stream_1002_starts_a_new_session_and_sends_once_there(
    backend: MediaAwareBackend, make_agent: Callable[..., Agent], mode: str
) -> None:
    """1002 before the stream: the turn never started, so it goes to the new session once."""
    backend.mode = mode
    backend.once("POST", "/run_sse", backend.error(1002))
    outcome = make_agent().handle("add music")
    assert outcome.exit_code == 0
    sent = [json.loads(r.content)["session_id"] for r in backend.calls("POST", "/run_sse")]
    assert sent == ["s_1", "s_2"]
    assert "timeline is gone" in outcome.output
