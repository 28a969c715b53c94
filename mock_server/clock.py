"""The virtual clock: every duration the emulator models runs on it.

Virtual time = start + advanced + real elapsed x `time_scale`. `advance(seconds)` jumps it forward
and wakes every sleeper whose deadline passed; `time_scale` 0 freezes it (only `advance` moves it).
Sleepers are futures woken by one timer each, so thousands of streams cost little.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time


class VirtualClock:
    """A monotone virtual clock shared by everything in one World."""

    def __init__(self, start: float | None = None, time_scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._base = float(start if start is not None else round(time.time()))
        self._real0 = time.monotonic()
        self._scale = float(time_scale)
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None], float]] = set()

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

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of virtual time."""
        await self.sleep_until(self.now() + seconds)

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until virtual time reaches `deadline` (wakes early on `advance`)."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - self.now()
            if remaining <= 0:
                return
            fut: asyncio.Future[None] = loop.create_future()
            entry = (loop, fut, deadline)
            real = self.real_seconds(remaining)
            handle = None if real == float("inf") else loop.call_later(real, _resolve, fut)
            with self._lock:
                self._waiters.add(entry)
            try:
                await fut
            finally:
                with self._lock:
                    self._waiters.discard(entry)
                if handle is not None:
                    handle.cancel()

    def _wake_all(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, fut, _deadline in waiters:
            with contextlib.suppress(RuntimeError):  # loop closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, fut)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
