"""One process's side of a shared world (`redis://`): catch up, take the write lock, commit.

- **Reads** (GET and HEAD, no fault rules installed) take no lock: `catch_up()` applies the
  batches other processes committed since this one last looked (one XRANGE), then the request
  runs on the in-memory World as with any store.
- **Writes** (every other request, every request while fault rules exist, each step of a turn)
  run in a *section*: the write lock is taken (Lua: SET NX PX, and the missed batches in the same
  round trip), the batches applied, the code runs, then its changes are committed and the lock
  dropped in one Lua script (stores/redis.py). A request's section ends when its answer starts.
- **A change made outside a section** (a soft `last_active` touch, or code that no section
  covers) is committed by `write_unlocked`: lock, apply the others' batches except the rows this
  process is writing, commit. Last writer wins for those rows: the World's rules all run inside
  sections, so in practice only `last_active` takes this path, and there the later time wins.
- **A follower thread** blocks on the stream (XREAD) and wakes the event loop when another
  process commits, so a clock `advance` made elsewhere wakes this process's sleeping turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Collection
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemo_mock.server import snapshot
from nemo_mock.server.journal_middleware import CONTROL_PREFIX, close_entry
from nemo_mock.server.stores.apply import apply_batch, apply_meta
from nemo_mock.server.stores.redis import ALIVE_MS, Batches, RedisStore, after, connect
from nemo_mock.server.stores.shared_journal import SharedJournal

if TYPE_CHECKING:
    from nemo_mock.server.stores.kept import Kept
    from nemo_mock.server.world import World

log = logging.getLogger("nemo_mock")


class Shared:
    """Keeps one World in step with the others on the same Redis database."""

    def __init__(self, world: World, kept: Kept, store: RedisStore) -> None:
        self.world, self.kept, self.store = world, kept, store
        self.sections = 0  # sections run (tests and the bench read it)
        self.worker = f"{os.getpid()}.{store.owner[:6]}"  # in the journal: who served what
        self._lock: asyncio.Lock | None = None
        self._holder: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    # -- reading ---------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Apply what the other processes committed since this one last looked."""
        if self.store.token is None:  # holding the lock: nobody else can have committed
            self.apply(self.store.changes())

    def apply(self, batches: Batches, skip: Collection[tuple[str, str]] = ()) -> None:
        """Apply `batches` in order (this process's own are already applied)."""
        if batches.gap:
            self.reload()
            return
        if not batches:
            return
        for stream_id, batch in batches:
            if not after(stream_id, self.store.last_id):
                continue  # applied already (a read that arrived while this one waited)
            if batch.get("o") != self.store.owner:
                apply_batch(self.world, self.kept, batch, skip)
            self.store.last_id = stream_id
        self.kept.settle_meta()

    def reload(self) -> None:
        """Replace this process's World by the stored one (it fell behind the stream's end)."""
        from nemo_mock.server.stores.attach import snapshot_of

        rows = self.store.load()
        data = snapshot_of(rows)
        if data is not None:
            snapshot.restore_world(self.world, data)
            apply_meta(self.world, rows.get("meta", {}))
        self.kept.settle()
        log.warning("shared store: fell behind the change stream; reloaded the whole world")

    # -- writing ---------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def section(self) -> AsyncIterator[None]:
        """Run the block as one atomic change of the shared world (re-entrant per task)."""
        if self._holder is not None and self._holder is asyncio.current_task():
            yield
            return
        await self.acquire()
        try:
            yield
        finally:
            await self.release()

    async def arrive(self, incr: bool = False) -> int:
        """Catch up before a read (one round trip, shared with the journal number: returned
        when `incr`)."""
        self.follow()
        batches, seq = await self.store.arrive(incr)
        self.apply(batches)
        return seq

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Inside a section: commit and let the others write while the block waits (a `delay`
        fault), then take the lock again and catch up."""
        if self._holder is None or self._holder is not asyncio.current_task():
            yield
            return
        await self.release()
        try:
            yield
        finally:
            await self.acquire()

    async def acquire(self, incr: bool = False) -> int:
        """Take this process's section lock, then the shared write lock, catching up in the
        same round trip; the next journal number when `incr`."""
        lock = self._local_lock()
        await lock.acquire()
        try:
            delay = 0.0002
            while (got := await self.store.atry_lock(incr)) is None:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.002)  # a lock is held for a few ms at most
            self.apply(got[0])
        except BaseException:
            self.store.release()
            lock.release()
            raise
        self._holder = asyncio.current_task()
        self.kept.deferred = True
        self.sections += 1
        return got[1]

    async def release(self) -> None:
        """Commit what the section changed and drop the write lock (one round trip)."""
        self.kept.deferred = False
        self._holder = None
        batch = self.kept.collect(soft=True)
        try:
            if batch is None:
                await self.store.arelease()
            else:
                await self.store.acommit(*batch, release=True)
        except asyncio.CancelledError:  # the task is going away: finish the commit first
            if self.store.token is not None:
                if batch is None:
                    self.store.release()
                else:
                    self.store.commit(*batch, release=True)
            raise
        finally:
            self.store.token = None
            if self._lock is not None and self._lock.locked():
                self._lock.release()

    def holding(self) -> bool:
        """This process holds the write lock now."""
        return self.store.token is not None

    def write_unlocked(
        self, puts: list[Any], deletes: list[tuple[str, str]], clear: list[str]
    ) -> None:
        """Commit a batch collected outside any section (blocking briefly for the lock)."""
        skip = {(kind, key) for kind, key, _ in puts if kind != "meta"} | set(deletes)
        batches = self.store.lock()
        try:
            self.apply(batches, skip)
        except BaseException:
            self.store.release()
            raise
        self.store.commit(puts, deletes, clear, release=True)

    def _local_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
            self._start_follower(loop)
        return self._lock

    # -- following -------------------------------------------------------------------------
    def follow(self) -> None:
        """Start the follower for the running event loop (idempotent)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._local_lock()

    def _start_follower(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._follower is not None:
            return
        self._follower = threading.Thread(
            target=self._follow, args=(loop,), name="nemo-mock-follower", daemon=True
        )
        self._follower.start()

    def _follow(self, loop: asyncio.AbstractEventLoop) -> None:
        import redis

        client = connect(self.store.url, timeout=30.0)
        last = "$"
        alive = self.store.keys.alive + self.store.owner
        try:
            while not self._stop.is_set():
                try:
                    client.set(alive, 1, px=ALIVE_MS)  # this process's turn tickets are live
                    found = client.xread({self.store.keys.changes: last}, block=1000, count=1000)
                except redis.RedisError:
                    if self._stop.wait(0.5):
                        return
                    continue
                if not found:
                    continue
                last = found[0][1][-1][0]
                mine = self.store.owner.encode()
                if any(mine not in fields.get(b"b", b"") for _, fields in found[0][1]):
                    with contextlib.suppress(RuntimeError):  # the loop closed
                        loop.call_soon_threadsafe(self._woken)
        finally:
            client.close()

    def _woken(self) -> None:
        try:
            self.catch_up()
        except Exception:  # Redis away for a moment: the next request catches up
            log.exception("shared store: catching up failed")

    def close(self) -> None:
        """Stop the follower (the store is closed by `detach`)."""
        self._stop.set()
        if self._follower is not None:
            self._follower.join(3.0)


SAFE_METHODS = frozenset({"GET", "HEAD"})
LARGE_BODY = 1024 * 1024  # bytes: a body this large is read before the write lock is taken


def _large_body(scope: Scope) -> bool:
    """The request declares a body over LARGE_BODY, or a chunked one (size unknown)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return not value.isdigit() or int(value) > LARGE_BODY
        if name == b"transfer-encoding":
            return True
    return False


class SharedMiddleware:
    """Around every request of a shared world: catch up (reads) or a section (writes); commit
    before the answer starts; journal the exchange where every process reads it (pure ASGI)."""

    def __init__(self, app: ASGIApp, world: World, shared: Shared) -> None:
        self.app, self.world, self.shared = app, world, shared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        world, shared, kept = self.world, self.shared, self.shared.kept
        journal = world.journal
        api = not scope["path"].startswith(CONTROL_PREFIX)
        writes = scope["method"] not in SAFE_METHODS or (api and len(world.faults) > 0)
        # a large body (an upload) is read before the lock is taken: the other processes'
        # writes do not wait for a slow client
        holding = writes and not _large_body(scope)
        seq = await (shared.acquire(incr=api) if holding else shared.arrive(incr=api))
        if api and isinstance(journal, SharedJournal):
            journal.reserved = seq  # taken by this request's entry, next (no await between)
        state = scope.setdefault("state", {})
        stream = pushed = False
        waits = writes and not holding  # the lock is taken once the body has been read

        async def push() -> None:
            entry = state.get("journal_entry")
            if api and entry is not None and isinstance(journal, SharedJournal):
                close_entry(world, entry)
                entry["worker"] = shared.worker
                await journal.apush(entry)

        async def send_shared(message: Message) -> None:
            nonlocal holding, stream, pushed, waits
            kind = message["type"]
            if kind == "http.response.start":
                waits = False  # (an answer before the whole body: no lock to take any more)
                if holding:  # the answer says what changed: commit it first
                    holding = False
                    await shared.release()
                elif kept.pending():
                    kept.flush()
                stream = any(
                    k.lower() == b"content-type" and v.startswith(b"text/event-stream")
                    for k, v in message.get("headers", ())
                )
                if stream:
                    await push()
            elif kind == "http.response.body":
                if kept.pending():
                    kept.flush()
                if not message.get("more_body", False) and not pushed:
                    pushed = True
                    await push()  # before the last byte: the client's next request sees it
            await send(message)

        async def receive_then_lock() -> Message:
            nonlocal holding, waits
            message = await receive()
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            if ended and waits:
                waits = False
                await shared.acquire()
                holding = True
            return message

        try:
            await self.app(
                scope, receive_then_lock if writes and not holding else receive, send_shared
            )
        finally:
            if holding:
                await shared.release()
            if stream or not pushed:
                await push()
