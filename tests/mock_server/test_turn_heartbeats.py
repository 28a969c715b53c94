"""A turn's heartbeats and deadline waits (mock_server/turn_heartbeats.py), on a frozen clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nemo_mock.server import sse
from nemo_mock.server.clock import VirtualClock
from nemo_mock.server.turn_heartbeats import Capped, Heartbeats
from nemo_mock.server.turn_intent import Intent
from nemo_mock.server.turn_record import TurnOverrides, new_record

COMMENT, DATA = b": heartbeat\n\n", b"data: \n\n"  # contracts/facts.yaml turn.heartbeats


def beats_at_zero(interval: float = 10.0, cap: float = 100.0) -> tuple[VirtualClock, Heartbeats]:
    """Heartbeats of a turn that arrived at virtual 0, on a clock that moves only on advance."""
    clock = VirtualClock(0.0, 0.0)
    record = new_record(1, Intent("edit", "trim"), 10, TurnOverrides())
    hb = Heartbeats(clock, sse.Pipe(), record, start=0.0, interval=interval, style="mixed", cap=cap)
    return clock, hb


def sent(hb: Heartbeats) -> list[bytes]:
    """The frames the turn's pipe holds (the pipe is closed: nothing more is sent)."""
    hb.pipe.close()
    frames: list[bytes] = asyncio.run(asyncio.wait_for(hb.pipe.get(), 5))
    return frames


def run(main: Any) -> Any:
    return asyncio.run(asyncio.wait_for(main(), 5))


def test_nothing_is_sent_before_the_first_interval() -> None:
    """'a heartbeat every heartbeat_interval virtual seconds': none at 9.9 s of a 10 s interval."""
    clock, hb = beats_at_zero()
    clock.advance(9.9)
    hb.tick()
    assert sent(hb) == [] and hb.frames["heartbeat"] == 0


def test_a_late_tick_catches_up_one_heartbeat_per_interval_passed() -> None:
    """At 25 s with a 10 s interval the boundaries 10 and 20 passed: two, mixed style alternates."""
    clock, hb = beats_at_zero()
    clock.advance(25)
    hb.tick()
    assert sent(hb) == [COMMENT, DATA]
    assert hb.frames["heartbeat"] == 2 and hb.next_beat == 30.0


def test_a_clock_jump_sends_at_most_three_heartbeats_then_counts_from_now() -> None:
    """'a clock jump never floods the stream': 3 at once, the next one interval after now."""
    clock, hb = beats_at_zero(cap=10_000.0)
    clock.advance(1000)
    hb.tick()
    assert sent(hb) == [COMMENT, DATA, COMMENT]
    assert hb.next_beat == 1010.0


def test_each_heartbeat_is_noted_in_the_journal_at_its_virtual_time() -> None:
    """`turn.events` gets one {"t", "kind": "heartbeat"} per heartbeat sent (ms precision)."""
    clock, hb = beats_at_zero()
    clock.advance(20.0004)
    hb.tick()
    assert hb.record["events"] == [{"t": 20.0, "kind": "heartbeat"}] * 2


def test_a_sleeping_wait_heartbeats_from_the_timer_and_ends_at_its_deadline() -> None:
    """The heartbeat due at 10 s goes out while the wait to 25 s still sleeps; it ends at 25 s."""
    clock, hb = beats_at_zero()

    async def main() -> None:
        task = asyncio.create_task(hb.until(25.0))
        await asyncio.sleep(0.01)
        clock.advance(15)
        await asyncio.sleep(0.05)
        assert not task.done() and hb.frames["heartbeat"] == 1
        clock.advance(10)
        await asyncio.wait_for(task, 2)

    run(main)
    assert sent(hb)[:1] == [COMMENT]


def test_a_wait_first_sends_the_heartbeats_already_due() -> None:
    """A wait that starts late (25 s) sends the two heartbeats of 10 s and 20 s before sleeping."""
    clock, hb = beats_at_zero()
    clock.advance(25)

    async def main() -> None:
        task = asyncio.create_task(hb.until(30.0))
        await asyncio.sleep(0.01)
        assert not task.done()
        task.cancel()

    run(main)
    assert sent(hb) == [COMMENT, DATA]


def test_until_raises_capped_once_the_cap_is_reached() -> None:
    """'the whole stream is cut at turn_cap': a wait past the cap ends in Capped at the cap."""
    clock, hb = beats_at_zero(cap=30.0)

    async def main() -> None:
        task = asyncio.create_task(hb.until(100.0))
        await asyncio.sleep(0.01)
        clock.advance(30)
        await asyncio.wait_for(task, 2)

    with pytest.raises(Capped):
        run(main)


def test_a_nap_after_the_cap_raises_capped() -> None:
    """A wait on something else (the session's queue) is cut at the cap too."""
    clock, hb = beats_at_zero(cap=30.0)
    clock.advance(30)

    async def main() -> None:
        hb.nap()

    with pytest.raises(Capped):
        run(main)
