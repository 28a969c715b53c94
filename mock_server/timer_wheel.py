"""Timers on the virtual clock: one heap and one loop timer per event loop, however many sleepers.

A stream that heartbeats once a second used to cost a future, a loop timer and a task wake-up per
heartbeat. Here every timer of one event loop sits in one heap ordered by virtual deadline; one
loop timer fires for the earliest, rounded up to a slot boundary, and every timer due by then runs
in that one callback. A slot is SLOT seconds of virtual time (so virtual-time precision is the same
at every time_scale) and at most SLOT real seconds: at time_scale 1, 15,000 streams beating once a
second cost about 100 loop wake-ups a second, not 15,000. A timer never runs before the clock
reached its deadline. The clock re-arms the wheels after `advance`, `set_time_scale`, `restore`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable
from heapq import heapify, heappop, heappush
from typing import Protocol

SLOT = 0.01  # virtual seconds (and at most as many real ones): timers due in one slot run together
_COMPACT_AT = 1024  # cancelled entries tolerated before the heap is rebuilt without them


class Clock(Protocol):
    """What the wheel needs from the virtual clock."""

    def now(self) -> float: ...

    def real_seconds(self, virtual: float) -> float: ...


class Timer:
    """A pending callback; `cancel()` makes sure it will not run (idempotent)."""

    __slots__ = ("callback", "wheel")

    def __init__(self, callback: Callable[[], None], wheel: Wheel) -> None:
        self.callback: Callable[[], None] | None = callback
        self.wheel: Wheel | None = wheel  # None once out of the heap

    def cancel(self) -> None:
        """Do not run (a no-op once it ran or was cancelled)."""
        if self.callback is not None:
            self.callback = None
            if self.wheel is not None:
                self.wheel.cancelled += 1


class Wheel:
    """The timers of one event loop. Every method runs on that loop's thread."""

    __slots__ = ("_order", "armed_at", "cancelled", "clock", "handle", "heap", "loop")

    def __init__(self, clock: Clock, loop: asyncio.AbstractEventLoop) -> None:
        self.clock = clock
        self.loop = loop
        self.heap: list[tuple[float, int, Timer]] = []
        self.cancelled = 0  # entries in `heap` whose timer was cancelled
        self.handle: asyncio.TimerHandle | None = None
        self.armed_at = math.inf  # loop time `handle` fires at
        self._order = itertools.count()  # equal deadlines run in the order they were added

    def add(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` once virtual time reaches `deadline` (never sooner)."""
        timer = Timer(callback, self)
        heap = self.heap
        heappush(heap, (deadline, next(self._order), timer))
        if heap[0][2] is timer:
            self.arm()
        elif self.cancelled > _COMPACT_AT and self.cancelled * 2 > len(heap):
            self._compact()
        return timer

    def run(self) -> None:
        """Run every timer that is due, then arm the loop timer for the next one.

        Timers added by the callbacks wait for the next run, even when already due: a callback
        that keeps rescheduling itself cannot spin here.
        """
        if self.handle is not None:
            self.handle.cancel()  # (when called by `advance` rather than by the handle)
            self.handle, self.armed_at = None, math.inf
        heap, now, due = self.heap, self.clock.now(), []
        while heap and heap[0][0] <= now:
            timer = heappop(heap)[2]
            if timer.callback is None:
                self.cancelled -= 1
            else:
                timer.wheel = None
                due.append(timer)
        for timer in due:
            callback = timer.callback
            if callback is None:  # cancelled by an earlier callback of this run
                continue
            timer.callback = None
            try:
                callback()
            except Exception as exc:  # one broken callback must not stop the others
                self.loop.call_exception_handler(
                    {"message": "virtual clock timer failed", "exception": exc}
                )
        self.arm()

    def arm(self) -> None:
        """Make the loop timer fire at the slot of the earliest live timer (or not at all)."""
        heap = self.heap
        while heap and heap[0][2].callback is None:
            heappop(heap)
            self.cancelled -= 1
        if not heap:
            self._disarm()
            return
        clock = self.clock
        delay = clock.real_seconds(heap[0][0] - clock.now())
        if delay == math.inf:  # a frozen clock: only `advance` runs timers
            self._disarm()
            return
        slot = min(SLOT, clock.real_seconds(SLOT))
        when = math.ceil((self.loop.time() + delay) / slot) * slot
        if self.handle is not None:
            if self.armed_at <= when:
                return
            self.handle.cancel()
        self.armed_at = when
        self.handle = self.loop.call_at(when, self.run)

    def _disarm(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle, self.armed_at = None, math.inf

    def _compact(self) -> None:
        """Drop cancelled entries (long sleeps cancelled early would otherwise pile up)."""
        self.heap = [entry for entry in self.heap if entry[2].callback is not None]
        heapify(self.heap)
        self.cancelled = 0
