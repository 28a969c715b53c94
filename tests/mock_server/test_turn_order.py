"""Turns of one session run one at a time, in arrival order (mock_server/turn_order.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from nemo_mock.server import sse
from nemo_mock.server.settings import Settings
from nemo_mock.server.turn_heartbeats import Heartbeats
from nemo_mock.server.turn_intent import Intent
from nemo_mock.server.turn_order import Place, Turns
from nemo_mock.server.turn_record import TurnOverrides, new_record
from nemo_mock.server.world import World


def frozen_world() -> World:
    return World(Settings(time_scale=0.0))


def waiter(world: World, place: Place) -> tuple[asyncio.Task[None], dict[str, Any]]:
    """`place.wait` running in a task, with the record it marks."""
    record = new_record(1, Intent("edit", "trim"), 10, TurnOverrides())
    hb = Heartbeats(
        world.clock, sse.Pipe(), record, start=world.now(), interval=10, style="comment", cap=100
    )
    return asyncio.create_task(place.wait(hb, record)), record


async def settle() -> None:
    await asyncio.sleep(0.01)


def test_the_first_turn_of_a_session_starts_at_once() -> None:
    """Nobody ahead: the wait ends at once and the turn is not marked queued."""
    world = frozen_world()

    async def main() -> dict[str, Any]:
        task, record = waiter(world, Place(world, "s1"))
        await asyncio.wait_for(task, 2)
        return record

    assert "queued" not in asyncio.run(main())


def test_a_later_turn_of_a_session_waits_until_the_earlier_one_leaves() -> None:
    """'Turns of one session run one at a time in arrival order'; the waiter is marked queued."""
    world = frozen_world()

    async def main() -> None:
        first = Place(world, "s1")
        task, record = waiter(world, Place(world, "s1"))
        await settle()
        assert not task.done() and record["queued"] is True
        first.leave()
        await asyncio.wait_for(task, 2)

    asyncio.run(main())


def test_turns_of_different_sessions_do_not_wait_for_each_other() -> None:
    """The order is per session: another session's running turn holds nobody up."""
    world = frozen_world()

    async def main() -> None:
        Place(world, "s1")
        task, _ = waiter(world, Place(world, "s2"))
        await asyncio.wait_for(task, 2)

    asyncio.run(main())


def test_a_turn_cut_while_queued_still_keeps_the_next_behind_the_earlier_one() -> None:
    """A queued turn that ends early hands over only once the turn before it is done."""
    world = frozen_world()

    async def main() -> None:
        first, second = Place(world, "s1"), Place(world, "s1")
        task, _ = waiter(world, Place(world, "s1"))
        second.leave()  # cut while first still runs
        await settle()
        assert not task.done()
        first.leave()
        await asyncio.wait_for(task, 2)

    asyncio.run(main())


def test_the_session_line_is_forgotten_once_its_last_turn_leaves() -> None:
    """No per-session bookkeeping outlives the session's turns."""
    world = frozen_world()

    async def main() -> None:
        first, second = Place(world, "s1"), Place(world, "s1")
        first.leave()
        assert "s1" in Turns.of(world).tails
        second.leave()

    asyncio.run(main())
    assert Turns.of(world).tails == {}
