"""Virtual-clock timers (mock_server/timer_wheel.py through VirtualClock.call_at)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from nemo_mock.server.clock import VirtualClock
from nemo_mock.server.timer_wheel import SLOT, Wheel


def _run(main: Any) -> Any:
    return asyncio.run(asyncio.wait_for(main(), 5))


def test_a_timer_runs_once_virtual_time_reached_its_deadline() -> None:
    """'never before the clock reached its deadline': 30 virtual s at time_scale 600 = 50 ms."""
    c = VirtualClock(0.0, 600.0)

    async def main() -> list[float]:
        seen: list[float] = []
        done = asyncio.Event()
        c.call_at(30.0, lambda: (seen.append(c.now()), done.set()))
        await done.wait()
        await asyncio.sleep(3 * SLOT)
        return seen

    seen = _run(main)
    assert len(seen) == 1 and seen[0] >= 30.0


def test_timers_run_in_deadline_order_and_equal_deadlines_in_order_added() -> None:
    """A jump past every deadline runs them by deadline, ties first come first served."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> list[str]:
        order: list[str] = []
        for name, at in (("c", 3.0), ("a1", 1.0), ("b", 2.0), ("a2", 1.0)):
            c.call_at(at, lambda n=name: order.append(n))  # type: ignore[misc]
        c.advance(5)
        await asyncio.sleep(SLOT)
        return order

    assert _run(main) == ["a1", "a2", "b", "c"]


def test_a_cancelled_timer_never_runs() -> None:
    """cancel() before the deadline: the callback is not called."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> list[str]:
        ran: list[str] = []
        c.call_at(1.0, lambda: ran.append("cancelled")).cancel()
        c.call_at(1.0, lambda: ran.append("kept"))
        c.advance(1)
        await asyncio.sleep(SLOT)
        return ran

    assert _run(main) == ["kept"]


def test_a_frozen_clock_runs_timers_only_when_advanced() -> None:
    """time_scale 0: real time passing runs nothing; advance past the deadline does."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> tuple[int, int, int]:
        ran: list[int] = []
        c.call_at(10.0, lambda: ran.append(1))
        await asyncio.sleep(3 * SLOT)
        before = len(ran)
        c.advance(9)
        await asyncio.sleep(SLOT)
        short = len(ran)
        c.advance(1)
        await asyncio.sleep(SLOT)
        return before, short, len(ran)

    assert _run(main) == (0, 0, 1)


def test_advance_from_another_thread_runs_the_loops_due_timers() -> None:
    """'advance may be called from any thread' (the test thread drives a live server's clock)."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> bool:
        done = asyncio.Event()
        c.call_at(60.0, done.set)
        await asyncio.sleep(0)
        threading.Thread(target=c.advance, args=(60,)).start()
        await asyncio.wait_for(done.wait(), 2)
        return done.is_set()

    assert _run(main) is True


def test_a_callback_that_reschedules_itself_due_runs_once_per_run() -> None:
    """Timers added by a callback wait for the next run even when due: no spinning."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> int:
        wheel = Wheel(c, asyncio.get_running_loop())
        calls: list[int] = []

        def again() -> None:
            calls.append(1)
            wheel.add(0.5, again)  # already due (the clock is at 1)

        wheel.add(1.0, again)
        c.advance(1)
        wheel.run()
        return len(calls)

    assert _run(main) == 1


def test_a_failing_callback_does_not_stop_the_others() -> None:
    """An exception goes to the loop's exception handler; later timers still run."""
    c = VirtualClock(0.0, 0.0)

    async def main() -> tuple[list[str], list[str]]:
        errors: list[str] = []
        asyncio.get_running_loop().set_exception_handler(
            lambda _loop, ctx: errors.append(type(ctx["exception"]).__name__)
        )
        ran: list[str] = []
        c.call_at(1.0, _fail)
        c.call_at(1.0, lambda: ran.append("after"))
        c.advance(1)
        await asyncio.sleep(SLOT)
        return ran, errors

    assert _run(main) == (["after"], ["ZeroDivisionError"])


def _fail() -> None:
    raise ZeroDivisionError


def test_cancelled_far_timers_do_not_pile_up() -> None:
    """Sleeps cancelled long before their deadline are dropped from the heap, not kept for days."""
    c = VirtualClock(0.0, 1.0)

    async def main() -> int:
        wheel = Wheel(c, asyncio.get_running_loop())
        for _ in range(5000):
            wheel.add(1e9, lambda: None).cancel()
        wheel.add(1e9, lambda: None)
        return len(wheel.heap)

    assert _run(main) < 2500
