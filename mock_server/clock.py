"""The virtual clock: every duration the emulator models runs on it.

Virtual time = start + advanced + real elapsed x `time_scale`. `advance(seconds)` jumps it forward
and wakes every sleeper whose deadline passed; `time_scale` 0 freezes it (only `advance` moves it).
Timers and sleepers share one wheel per event loop (mock_server/timer_wheel.py), so thousands of
streams cost one heap entry each; `advance` may be called from any thread.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable

from nemo_mock.server.timer_wheel import Timer, Wheel


class VirtualClock:
    """A monotone virtual clock shared by everything in one World."""

    def __init__(self, start: float | None = None, time_scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._base = float(start if start is not None else round(time.time()))
        self._real0 = time.monotonic()
        self._scale = float(time_scale)
        self._wheels: dict[asyncio.AbstractEventLoop, Wheel] = {}

    @property
    def time_scale(self) -> float:
        """Virtual seconds per real second."""
        return self._scale

    def now(self) -> float:
        """Current virtual time, seconds since the epoch (a float)."""
        return self._base + (time.monotonic() - self._real0) * self._scale

    def set_time_scale(self, scale: float) -> None:
        """Change the speed from now on, without a jump."""
        with self._lock:
            self._base = self.now()
            self._real0 = time.monotonic()
            self._scale = float(scale)
        self._wake_all()

    def advance(self, seconds: float) -> float:
        """Jump forward by `seconds` (>= 0) and return the new virtual time."""
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        with self._lock:
            self._base += float(seconds)
        self._wake_all()
        return self.now()

    def state(self) -> dict[str, float]:
        """JSON-able view: now and time_scale."""
        return {"now": self.now(), "time_scale": self._scale}

    def signature(self) -> tuple[float, float, float]:
        """Changes exactly when `advance`, `restore` or `set_time_scale` ran (stores compare it)."""
        return (self._base, self._real0, self._scale)

    def restore(self, now: float, time_scale: float) -> None:
        """Set the clock to `now` (used by snapshot restore)."""
        with self._lock:
            self._base = float(now)
            self._real0 = time.monotonic()
            self._scale = float(time_scale)
        self._wake_all()

    def real_seconds(self, virtual: float) -> float:
        """Real seconds that `virtual` seconds take at the current scale (inf when frozen)."""
        if virtual <= 0:
            return 0.0
        return virtual / self._scale if self._scale > 0 else float("inf")

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` on the running event loop once virtual time reaches `deadline`."""
        loop = asyncio.get_running_loop()
        wheel = self._wheels.get(loop)
        if wheel is None:
            with self._lock:
                wheel = self._wheels.setdefault(loop, Wheel(self, loop))
        return wheel.add(deadline, callback)

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of virtual time."""
        await self.sleep_until(self.now() + seconds)

    async def sleep_until(
        self,
        deadline: float,
        tick: Callable[[], float] | None = None,
        tick_at: float = math.inf,
    ) -> None:
        """Sleep until virtual time reaches `deadline` (sooner when `advance` jumps past it).

        With `tick`: whenever virtual time reaches `tick_at` before `deadline`, `tick()` runs as a
        plain timer callback, without waking the sleeping task, and returns the next `tick_at`.
        """
        if self.now() >= deadline:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        sleeper = _Sleeper(self, fut, deadline, tick)
        sleeper.schedule(tick_at)
        try:
            await fut
        finally:
            sleeper.timer.cancel()

    def _wake_all(self) -> None:
        """Run every wheel's due timers and re-arm it for the clock's new time or speed."""
        with self._lock:
            wheels = list(self._wheels.items())
        for loop, wheel in wheels:
            try:
                loop.call_soon_threadsafe(wheel.run)
            except RuntimeError:  # loop closed: nobody waits there any more
                with self._lock:
                    self._wheels.pop(loop, None)


class _Sleeper:
    """One `sleep_until`: resolves its future at the deadline, runs its ticks on the way."""

    __slots__ = ("clock", "deadline", "fut", "tick", "timer")

    def __init__(
        self,
        clock: VirtualClock,
        fut: asyncio.Future[None],
        deadline: float,
        tick: Callable[[], float] | None,
    ) -> None:
        self.clock, self.fut, self.deadline, self.tick = clock, fut, deadline, tick

    def schedule(self, tick_at: float) -> None:
        callback = self.fire if self.tick is not None and tick_at < self.deadline else self.wake
        self.timer = self.clock.call_at(min(tick_at, self.deadline), callback)

    def wake(self) -> None:
        if not self.fut.done():
            self.fut.set_result(None)

    def fire(self) -> None:
        tick = self.tick
        if tick is None or self.clock.now() >= self.deadline:
            self.wake()
            return
        try:
            tick_at = tick()
        except Exception as exc:  # raised in the sleeping task, as if it had ticked itself
            if not self.fut.done():
                self.fut.set_exception(exc)
            return
        self.schedule(tick_at)
