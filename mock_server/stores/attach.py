"""Put a World on a store: restore what the store keeps, then write every change through.

`attach(world, url)` runs once when the app is built (`create_app`); `StoreMiddleware` commits
pending changes before a response starts and before each body chunk (an SSE frame announcing a
state change leaves only after that change is committed).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemo_mock.server import snapshot
from nemo_mock.server.stores.apply import apply_meta
from nemo_mock.server.stores.kept import TABLES, Kept
from nemo_mock.server.stores.redis import RedisStore
from nemo_mock.server.stores.shared import Shared
from nemo_mock.server.stores.shared_journal import SharedJournal
from nemo_mock.server.stores.turn_queue import TurnQueue
from nemo_mock.server.stores.urls import open_store
from nemo_mock.server.world import World


def snapshot_of(rows: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The store's rows as a `/_mock/state` snapshot, or None when the store is empty."""
    if not rows:
        return None
    meta = rows.get("meta", {})
    data: dict[str, Any] = {"format": snapshot.FORMAT}
    for name in ("seed", "clock", "ids", "mints", "faults"):
        if name in meta:
            data[name] = meta[name]
    for attr, kind in TABLES.items():
        data[attr] = list(rows.get(kind, {}).values())
    return data


def kept_of(world: World) -> Kept | None:
    """The World's change tracker, when a store is attached."""
    return world.kept


def attach(world: World, url: str) -> bool:
    """Open `url`, restore its state into `world` and track every later change.

    True when the store held state (it replaced the World's); an empty store gets the World's
    current state on the first flush. Attaching twice is a no-op.
    """
    if kept_of(world) is not None:
        return False
    store = open_store(url)
    shared = store if isinstance(store, RedisStore) else None
    try:
        if shared is not None:
            shared.lock()  # joining a shared world: nobody changes it while we load it
        rows = store.load()
        data = snapshot_of(rows)
        if data is not None:
            snapshot.restore_world(world, data)
            if shared is not None:  # the precise clock; our settings win (see `join`)
                apply_meta(world, {k: v for k, v in rows["meta"].items() if k == "anchor"})
    except BaseException:
        store.close()
        raise
    kept = Kept(world, store)
    world.kept = kept
    for name in ("users", "tokens", "sessions", "renders", "claims", "mints"):
        setattr(world, name, getattr(world, name))  # wrapped by World.__setattr__
    if data is not None:
        kept.settle()  # memory now equals the store
    if shared is not None:
        join(world, kept, shared)  # commits our settings (or the whole new world) and unlocks
    elif data is None:
        kept.flush()
    path = world.settings.state_file
    if data is not None and path and snapshot.autosaver_of(world) is None:
        # the store is newer than any debounced state file: keep saving to it, not restoring it
        world.runtime.autosaver = snapshot.Autosaver(world, path)
    return data is not None


def join(world: World, kept: Kept, store: RedisStore) -> None:
    """Share `world` through `store` (its lock held): the journal, the turn queues and every
    change go through Redis from now on. The settings of the process that joins last win (all
    processes of one `serve --workers N` have the same)."""
    keys = store.keys
    world.journal = SharedJournal(
        store.redis,
        keys.journal,
        world.settings.journal_size,
        world.settings.journal_max_bytes,
        aio=store.aio,
    )
    world.runtime.turn_queue = TurnQueue(store.redis, store.owner, keys.turns, keys.alive)
    world.runtime.turn_queue.alive()
    shared = Shared(world, kept, store)
    world.runtime.shared = shared
    store.unlocked = shared.write_unlocked
    kept.mark_meta("settings")
    try:
        kept.flush()
    finally:
        store.release()


def detach(world: World) -> None:
    """Write what is pending and close the store (shutdown)."""
    shared = world.runtime.shared
    if shared is not None:
        shared.close()
    kept = kept_of(world)
    if kept is not None and not kept.closed:
        kept.flush(soft=True)
        kept.closed = True
        kept.store.close()


class StoreMiddleware:
    """Commit pending changes before each response message goes out (pure ASGI)."""

    def __init__(self, app: ASGIApp, world: World) -> None:
        self.app = app
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kept = kept_of(self.world)
        if kept is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_committed(message: Message) -> None:
            if kept.pending():
                kept.flush()
            await send(message)

        await self.app(scope, receive, send_committed)
