"""Reading one agent turn: from stream chunks to what the user should see, on a virtual clock.

Seeds: text events go to the user (after GUI translation), tool calls stay internal, heartbeats
keep it waiting with "⏳ Still working..." every 2 minutes; v1.9: 10 heartbeat-only minutes is a
timeout; the stream ends by closing. Partial text chunks are followed by a final event carrying
the full text, so partials are only used when no final arrives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nemo_mock import contracts
from nemo_mock.client._errors import NetworkError
from nemo_mock.client._sse import Frame, Kind, SseParser, classify

STILL_WORKING = "⏳ Still working..."
_TEMPORARY_ISSUE = re.compile(r"I encountered a temporary issue|我遇到了?临时问题", re.IGNORECASE)

CLOSED, DROPPED, TIMEOUT, ERROR = "closed", "dropped", "timeout", "error"


@dataclass
class TurnResult:
    """What a turn produced. ``ended`` is closed, dropped, timeout or error."""

    texts: list[str] = field(default_factory=list)
    ended: str = CLOSED
    error: str = ""
    tool_calls: list[str] = field(default_factory=list)
    temporary_issue: bool = False

    @property
    def silent(self) -> bool:
        """The stream closed normally without any text part (seeds: ~30% of edits)."""
        return self.ended == CLOSED and not self.texts


class _Clock:
    """Virtual seconds since the turn began: real elapsed × time scale."""

    def __init__(self, clock: Callable[[], float], time_scale: float) -> None:
        self._clock, self._scale, self._start = clock, time_scale, clock()

    def now(self) -> float:
        return (self._clock() - self._start) * self._scale


def _add_text(result: TurnResult, text: str) -> None:
    if _TEMPORARY_ISSUE.search(text):
        # A trailing "temporary issue" after a normal answer is noise; alone, it is no answer.
        result.temporary_issue = True
        return
    if text.strip():
        result.texts.append(text)


def read_turn(
    chunks: Iterable[bytes],
    *,
    clock: Callable[[], float],
    time_scale: float = 1.0,
    notify: Callable[[str], None] = lambda _line: None,
) -> TurnResult:
    """Consume a /run_sse body. ``chunks`` may raise NetworkError (a dropped stream)."""
    turn = contracts.facts()["turn"]
    every = float(turn["still_working_every_seconds"])
    idle_limit = float(turn["heartbeat_only_timeout_seconds"])
    cap = float(turn["cap_seconds"])
    vclock = _Clock(clock, time_scale)
    result = TurnResult()
    parser = SseParser()
    partials: list[str] = []
    next_notice, last_activity = every, 0.0

    def handle(frames: list[Frame]) -> bool:
        nonlocal last_activity
        for frame in frames:
            for event in classify(frame):
                if event.kind is not Kind.HEARTBEAT:
                    last_activity = vclock.now()
                if event.kind is Kind.TEXT and event.partial:
                    partials.append(event.text)
                elif event.kind is Kind.TEXT:
                    partials.clear()  # the final event repeats the partial chunks in full
                    _add_text(result, event.text)
                elif event.kind in (Kind.TOOL_CALL, Kind.TOOL_RESULT):
                    result.tool_calls.append(f"{event.kind}:{event.name}")
                elif event.kind is Kind.ERROR:
                    result.ended, result.error = ERROR, event.text
                    return False
                elif event.kind is Kind.TRUNCATED:
                    result.ended = DROPPED
                    return False
        return True

    try:
        for chunk in chunks:
            if not handle(parser.feed(chunk)):
                break
            now = vclock.now()
            while now >= next_notice:
                notify(STILL_WORKING)
                next_notice += every
            if now - last_activity >= idle_limit or now >= cap:
                result.ended = TIMEOUT
                break
        else:
            handle(parser.close())
    except NetworkError:
        result.ended = DROPPED
    if partials and result.ended == CLOSED:
        _add_text(result, "".join(partials))
    return result
