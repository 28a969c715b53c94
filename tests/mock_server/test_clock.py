"""The virtual clock: scale, advance, sleepers woken by advance."""

from __future__ import annotations

import asyncio
import time
import types

import pytest

from nemo_mock.server import clock as clock_module
from nemo_mock.server.clock import VirtualClock


def test_frozen_clock_moves_only_on_advance() -> None:
    """time_scale 0 freezes the clock."""
    c = VirtualClock(1000.0, 0.0)
    t0 = c.now()
    time.sleep(0.01)
    assert c.now() == t0 == 1000.0
    assert c.advance(604800) == 1000.0 + 604800


def test_scaled_clock_runs_faster_than_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """time_scale 600: ten virtual minutes per real second (real time faked: no wall clock)."""
    real = [1000.0]
    fake = types.SimpleNamespace(monotonic=lambda: real[0], time=time.time)
    monkeypatch.setattr(clock_module, "time", fake)  # this module's view of time only
    c = VirtualClock(0.0, 600.0)
    real[0] += 0.05
    assert c.now() == pytest.approx(30.0)
    real[0] += 1.0
    assert c.now() == pytest.approx(630.0)


def test_clock_never_goes_backwards() -> None:
    """advance refuses negative seconds."""
    with pytest.raises(ValueError):
        VirtualClock(0.0, 0.0).advance(-1)


def test_changing_scale_does_not_jump() -> None:
    """A new time_scale applies from now on."""
    c = VirtualClock(50.0, 0.0)
    c.set_time_scale(1000.0)
    assert 50.0 <= c.now() < 50.0 + 100


def test_advance_wakes_a_sleeper_on_a_frozen_clock() -> None:
    """A 7-day sleep ends as soon as the clock is advanced past it."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> float:
        task = asyncio.create_task(c.sleep(604800))
        await asyncio.sleep(0.01)
        assert not task.done()
        c.advance(604800)
        await asyncio.wait_for(task, timeout=2)
        return c.now()

    assert asyncio.run(main()) == 604800


def test_partial_advance_keeps_the_sleeper_waiting() -> None:
    """Advancing less than the remaining time does not end the sleep."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> bool:
        task = asyncio.create_task(c.sleep(100))
        await asyncio.sleep(0.01)
        c.advance(50)
        await asyncio.sleep(0.01)
        done = task.done()
        c.advance(50)
        await asyncio.wait_for(task, timeout=2)
        return done

    assert asyncio.run(main()) is False


def test_scaled_sleep_takes_scaled_real_time() -> None:
    """60 virtual seconds at time_scale 600 take about 0.1 s."""
    c = VirtualClock(0.0, 600.0)

    async def main() -> None:
        await asyncio.wait_for(c.sleep(60), timeout=2)

    asyncio.run(main())
    assert c.now() >= 60


def test_ticks_run_on_the_way_without_waking_the_sleeper() -> None:
    """sleep_until(deadline, tick, tick_at): tick() runs at each tick_at it returns, the sleep
    itself ends only at the deadline."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> tuple[list[float], bool, bool]:
        ticks: list[float] = []

        def tick() -> float:
            ticks.append(c.now())
            return ticks[-1] + 1

        task = asyncio.create_task(c.sleep_until(3.5, tick, 1.0))
        for _ in range(3):
            await asyncio.sleep(0.01)
            c.advance(1)
        await asyncio.sleep(0.01)
        early = task.done()
        c.advance(0.5)
        await asyncio.wait_for(task, timeout=2)
        return ticks, early, task.done()

    assert asyncio.run(main()) == ([1.0, 2.0, 3.0], False, True)


def test_a_jump_past_deadline_and_tick_ends_the_sleep_without_ticking() -> None:
    """The deadline wins: the sleeper decides what is due when it wakes."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> list[float]:
        ticks: list[float] = []

        def tick() -> float:
            ticks.append(c.now())
            return 100.0

        task = asyncio.create_task(c.sleep_until(5.0, tick, 2.0))
        await asyncio.sleep(0.01)
        c.advance(10)
        await asyncio.wait_for(task, timeout=2)
        return ticks

    assert asyncio.run(main()) == []


def test_a_failing_tick_is_raised_in_the_sleeper() -> None:
    """An error in tick() ends the sleep with that error, as if the task had ticked itself."""
    c = VirtualClock(0.0, 0.0)

    def tick() -> float:
        raise LookupError("tick")

    async def main() -> None:
        task = asyncio.create_task(c.sleep_until(10.0, tick, 1.0))
        await asyncio.sleep(0.01)
        c.advance(1)
        await asyncio.wait_for(task, timeout=2)

    with pytest.raises(LookupError):
        asyncio.run(main())
