"""Turns of one session run one at a time, in arrival order (DESIGN §3.4).

In one process the order is a chain of futures per session, kept in `world.runtime.turns` (never
in snapshot-able state). In a shared world (redis://) a turn also holds a ticket in the session's
queue across processes (stores/turn_queue.py), which it polls every TICKET_POLL real seconds. A
waiting turn keeps heartbeating and is cut at the cap like any other wait (turn_heartbeats.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from nemo_mock.server.turn_heartbeats import Heartbeats
from nemo_mock.server.world import World

TICKET_POLL = 0.01  # real seconds between looks at a shared session queue (redis://)


class Turns:
    """Per-process turn bookkeeping: running tasks (kept so they are not collected) and queues."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.tails: dict[str, asyncio.Future[None]] = {}

    @classmethod
    def of(cls, world: World) -> Turns:
        """The World's Turns (created on first use)."""
        if world.runtime.turns is None:
            world.runtime.turns = Turns()
        return world.runtime.turns

    def enqueue(self, session_id: str) -> tuple[asyncio.Future[None] | None, asyncio.Future[None]]:
        """(the previous turn's done future or None, this turn's done future), in arrival order."""
        loop = asyncio.get_running_loop()
        prev = self.tails.get(session_id)
        if prev is not None and (prev.done() or prev.get_loop() is not loop):
            prev = None  # finished, or left behind by another event loop (in-process tests)
        mine: asyncio.Future[None] = loop.create_future()
        self.tails[session_id] = mine
        return prev, mine

    def start(self, run: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a turn (`turn.run()`) in the background; the task is referenced until it ends."""
        task = asyncio.get_running_loop().create_task(run)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


class Place:
    """One turn's place in its session's line: taken on arrival, waited on, left when it ends."""

    __slots__ = ("_done", "_prev", "_queue", "_ticket", "_turns", "session_id")

    def __init__(self, world: World, session_id: str) -> None:
        self.session_id = session_id
        turns = Turns.of(world)
        self._turns = turns
        self._prev, self._done = turns.enqueue(session_id)
        # a shared world (redis://): the session's queue spans every process
        queue = world.runtime.turn_queue
        self._queue = queue
        self._ticket = queue.enqueue(session_id) if queue is not None else None

    async def wait(self, beats: Heartbeats, record: dict[str, Any]) -> None:
        """Wait (heartbeating) until the earlier turns are done; `record["queued"]` if any was."""
        if self._ticket is not None:
            await self._wait_ticket(self._ticket, beats, record)
            return
        prev = self._prev
        if prev is None or prev.done():
            return
        record["queued"] = True
        while not prev.done():
            beat = beats.nap()
            try:
                await asyncio.wait((prev, beat), return_when=asyncio.FIRST_COMPLETED)
            finally:
                beat.cancel()
            if not prev.done():
                beats.tick()

    async def _wait_ticket(self, ticket: str, beats: Heartbeats, record: dict[str, Any]) -> None:
        """Wait (heartbeating) until the session's shared queue reaches `ticket`."""
        queue = self._queue
        assert queue is not None
        while not queue.first(self.session_id, ticket):
            record["queued"] = True
            beat = beats.nap()
            try:
                await asyncio.wait((beat,), timeout=TICKET_POLL)
            finally:
                beat.cancel()
            beats.tick()

    def leave(self) -> None:
        """Let the next turn of the session start (after the previous one if this one was cut)."""
        done, prev = self._done, self._prev
        if self._ticket is not None and self._queue is not None:
            self._queue.done(self.session_id, self._ticket)
        if prev is not None and not prev.done():
            prev.add_done_callback(lambda _f: _resolve(done))
        else:
            _resolve(done)
        tails = self._turns.tails
        if done.done() and tails.get(self.session_id) is done:
            del tails[self.session_id]  # (a turn cut while queued stays in line until then)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
