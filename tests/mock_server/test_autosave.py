"""The autosave never blocks the loop for a whole save and leaves no temp file behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from nemo_mock.server import World
from nemo_mock.server.snapshot import CHUNK, Autosaver, dump_world, snapshot_bytes
from tests.conftest import make_settings


def _big_world(sessions: int) -> World:
    world = World(make_settings())
    _, user = world.register_user(100)
    for i in range(sessions):
        world.create_session(user, f"s{i}", "en")
    return world


def test_autosave_lets_other_work_run_while_it_serializes(tmp_path: Path) -> None:
    """'no save blocks the loop': other tasks run between the chunks of one save."""
    world = _big_world(10 * CHUNK)
    saver = Autosaver(world, tmp_path / "state.json")
    ticks_during_save = 0

    async def main() -> None:
        nonlocal ticks_during_save
        saver.touch()
        for _ in range(100_000):
            await asyncio.sleep(0)
            if saver.saves:
                break
            ticks_during_save += saver.saving

    asyncio.run(main())
    assert saver.saves == 1 and ticks_during_save >= 5


def test_autosave_writes_the_same_snapshot_as_dump_world(tmp_path: Path) -> None:
    """The chunked writer and dump_world agree (a second implementation as the oracle)."""
    world = _big_world(3 * CHUNK + 7)
    assert orjson.loads(snapshot_bytes(world)) == orjson.loads(orjson.dumps(dump_world(world)))


def test_restore_removes_temp_files_a_killed_save_left(tmp_path: Path) -> None:
    """'temp files left behind' after kill -9: the next start removes them."""
    path = tmp_path / "state.json"
    leftover = tmp_path / ".state.json.x1y2.tmp"
    leftover.write_bytes(b"{")
    Autosaver(World(make_settings()), path).restore()
    assert not leftover.exists()
