"""A turn's heartbeats and its waits on the virtual clock, all cut at `turn_cap` (DESIGN §3.4).

While a turn waits or works it sends a heartbeat every `heartbeat_interval` virtual seconds; the
whole stream is cut at `turn_cap` (`Capped`). While the turn sleeps, its heartbeats are sent by a
clock timer (`Heartbeats._beat`, on the virtual clock's timer wheel), not by waking its task: one
heartbeat costs one timer callback and one socket write (`sse.Pipe.beat`).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from nemo_mock.server import sse
from nemo_mock.server.clock import VirtualClock
from nemo_mock.server.turn_record import note

MAX_CATCH_UP = 3  # heartbeats sent at once after a late wake-up


class Capped(Exception):
    """The stream reached `turn_cap`."""


class Heartbeats:
    """One turn's heartbeat schedule on the virtual clock, and its cap (`cap_at`)."""

    __slots__ = (
        "beats",
        "cap_at",
        "clock",
        "frames",
        "interval",
        "next_beat",
        "pipe",
        "record",
        "style",
    )

    def __init__(
        self,
        clock: VirtualClock,
        pipe: sse.Pipe,
        record: dict[str, Any],
        *,
        start: float,
        interval: float,
        style: str,
        cap: float,
    ) -> None:
        self.clock, self.pipe, self.record = clock, pipe, record
        self.frames: dict[str, int] = record["frames"]
        self.interval, self.style = interval, style
        self.cap_at = start + cap
        self.next_beat = start + interval
        self.beats = 0  # sent so far (the style alternates on it)

    async def until(self, deadline: float) -> None:
        """Sleep (virtual) until `deadline`, heartbeating on the way; Capped at the cap."""
        clock = self.clock
        while True:
            now = clock.now()
            if now >= self.cap_at:
                raise Capped
            if now >= deadline:
                return
            if now >= self.next_beat:
                self.tick()
                continue
            await clock.sleep_until(min(deadline, self.cap_at), self._beat, self.next_beat)

    def nap(self) -> asyncio.Future[None]:
        """A sleep until the next heartbeat is due (or the cap), for waits on something else;
        Capped when the cap has passed. The waiter calls `tick` when it wakes."""
        if self.clock.now() >= self.cap_at:
            raise Capped
        return asyncio.ensure_future(self.clock.sleep_until(min(self.next_beat, self.cap_at)))

    def _beat(self) -> float:
        """The heartbeat timer fired before the deadline: send what is due; when the next is."""
        self.tick()
        return self.next_beat

    def tick(self) -> None:
        """Send the heartbeats that are due: one per interval boundary passed, so a wake-up that
        came a little late catches up, but at most MAX_CATCH_UP at once (a clock jump never
        floods the stream); then schedule the next."""
        now = self.clock.now()
        sent = 0
        while self.next_beat <= now and sent < MAX_CATCH_UP:
            self.pipe.beat(sse.heartbeat(self.style, self.beats))
            self.beats += 1
            sent += 1
            self.next_beat += self.interval
        self.frames["heartbeat"] += sent
        for _ in range(sent):
            note(self.record, beat_event(round(now, 3)))
        if self.next_beat <= now:
            self.next_beat = now + self.interval


@lru_cache(maxsize=1024)
def beat_event(t: float) -> dict[str, Any]:
    """The journal event of a heartbeat sent at virtual time `t` (ms): one shared dict per
    millisecond, never mutated, since thousands of streams beat in the same one (a stalled turn
    keeps MAX_EVENTS of them: as separate dicts, ~80 KB per stream)."""
    return {"t": t, "kind": "heartbeat"}
