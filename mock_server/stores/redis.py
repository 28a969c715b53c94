"""`redis://HOST:PORT/DB`: one world shared by every emulator process that opens the database.

The rows live in hashes (`nemo:<kind>`, one per kind), so a process that joins (or restarts)
loads the whole world in one round trip. Every process also keeps the world in memory, and keeps
it current from the change stream `nemo:changes`: each batch a process commits is one entry there.

Writes are serialised by one lock, `nemo:lock` (SET NX PX with a token of the holder's own):
a process takes it, catches up with the stream, runs the request (or the turn step) that
changes state, then commits its batch and drops the lock in one Lua script (`COMMIT`), which
refuses a batch whose lock is no longer its own. So credits freeze/consume/release, the mint
limits, the fault counters and id counters are read-modify-write under one atomic commit, in the
order the lock was granted. Reads take no lock: they catch up with the stream first (one
XRANGE), so a client that wrote through one process and reads through another sees its write.

How the server itself persists the data is its own configuration (`appendonly yes` survives a
kill -9 of Redis too). See mock_server/stores/shared.py for the process side.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from nemo_mock.server.stores.base import KINDS, Row, StoreError, check_kinds
from nemo_mock.server.stores.redis_aio import AsyncRedis
from nemo_mock.server.stores.redis_scripts import ACQUIRE, COMMIT, RELEASE

PREFIX = "nemo:"  # of every key; `?prefix=` in the URL changes it (several worlds, one database)
LOCK_MS = 30_000  # the lock's lease (renewed by each commit)
ALIVE_MS = 5_000  # a process's liveness key lives this long (renewed every second): when it lapses,
# the lock the process held and its turn tickets are taken over


class Batches(list[tuple[str, dict[str, Any]]]):
    """(stream id, batch) pairs in stream order; `gap`: the stream was trimmed past the last
    batch this process applied, so some before these are missing (reload the whole world)."""

    def __init__(self, items: Any = (), gap: bool = False) -> None:
        super().__init__(items)
        self.gap = gap


STREAM_MAX = 100_000  # change batches kept (a process further behind reloads the whole world)


class Keys:
    """The names of one shared world's keys."""

    def __init__(self, prefix: str = PREFIX) -> None:
        self.prefix = prefix
        self.lock = prefix + "lock"  # the write lock
        self.changes = prefix + "changes"  # the change stream
        self.journal = {  # the journal (shared_journal.py)
            name: prefix + "j" + name
            for name in ("seq", "log", "order", "cost", "bytes", "dropped")
        }
        self.turns = prefix + "turns:"  # + session id: the session's turn queue
        self.alive = prefix + "alive:"  # + process id: that process is running

    def kind(self, kind: str) -> str:
        """The hash holding the rows of `kind`."""
        return self.prefix + kind


_PREFIX_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def parse_url(url: str) -> tuple[str, int, int, str]:
    """(host, port, db, key prefix) of a redis:// URL; StoreError when it is not one."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise StoreError(f"{url}: expected redis://HOST:PORT/DB[?prefix=NAME]")
    try:
        db = int(parts.path.strip("/") or 0)
        port = parts.port or 6379
    except ValueError as exc:
        raise StoreError(f"{url}: the port and the database must be numbers") from exc
    prefix = parse_qs(parts.query).get("prefix", [PREFIX])[-1]
    if not _PREFIX_RE.fullmatch(prefix):
        raise StoreError(f"{url}: prefix must be 1-64 of A-Z a-z 0-9 _ . : -")
    return parts.hostname, port, db, prefix


def connect(url: str, timeout: float = 10.0) -> Any:
    """A redis-py client for `url`, checked with a PING (StoreError when it cannot be had)."""
    try:
        import redis
    except ImportError as exc:
        raise StoreError(
            "redis:// needs redis-py: pip install 'nemo-mock[redis]' (and a redis-server)"
        ) from exc
    host, port, db, _prefix = parse_url(url)
    client = redis.Redis(host=host, port=port, db=db, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise StoreError(f"{url}: Redis does not answer ({exc})") from exc
    return client


class RedisStore:
    """Rows in the hashes `nemo:<kind>`; batches on the stream `nemo:changes`; one write lock."""

    durable = True
    shared = True  # several processes share this world (mock_server/stores/shared.py)

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys = Keys(parse_url(url)[3])
        self.redis = connect(url)
        self.owner = uuid.uuid4().hex  # this process, in lock tokens and batches
        self._n = 0
        self.token: str | None = None  # the lock token while this process holds the lock
        self.last_id = "0-0"  # the last change batch this process has applied (or written)
        self.unlocked: Callable[[list[Row], list[tuple[str, str]], list[str]], None] | None = None
        self._aio: AsyncRedis | None = None
        self.alive()
        self._acquire = self.redis.register_script(ACQUIRE)
        self._commit = self.redis.register_script(COMMIT)
        self._release = self.redis.register_script(RELEASE)

    # -- the Store protocol ----------------------------------------------------------------
    def load(self) -> dict[str, dict[str, Any]]:
        """Every row, and (atomically with them) the position in the change stream."""
        pipe = self.redis.pipeline(transaction=True)
        for kind in KINDS:
            pipe.hgetall(self.keys.kind(kind))
        pipe.xrevrange(self.keys.changes, count=1)
        *tables, last = pipe.execute()
        out: dict[str, dict[str, Any]] = {}
        for kind, rows in zip(KINDS, tables, strict=True):
            if rows:
                out[kind] = {k.decode(): orjson.loads(v) for k, v in rows.items()}
        self.last_id = last[0][0].decode() if last else "0-0"
        return out

    def write(
        self,
        puts: Iterable[Row] = (),
        deletes: Iterable[tuple[str, str]] = (),
        clear: Iterable[str] = (),
    ) -> None:
        """Commit one batch: under the lock this process holds, or through `unlocked` (set by
        `shared.Shared`: lock, catch up, commit) when it holds none."""
        puts, deletes, clear = list(puts), list(deletes), list(clear)
        if self.token is not None:
            self.commit(puts, deletes, clear, release=False)
        elif self.unlocked is not None:
            self.unlocked(puts, deletes, clear)
        else:  # the store on its own (no World): one locked commit
            self.lock()
            self.commit(puts, deletes, clear, release=True)

    def close(self) -> None:
        """Drop the lock if held, close the connection pool (the rows stay)."""
        self.release()
        self.redis.close()

    # -- the lock and the stream -----------------------------------------------------------
    def alive(self) -> None:
        """Say this process is running (for ALIVE_MS; the follower renews it every second)."""
        self.redis.set(self.keys.alive + self.owner, 1, px=ALIVE_MS)

    def _lock_call(self, incr: bool) -> tuple[str, list[str], list[Any]]:
        self._n += 1
        token = f"{self.owner}:{self._n}"
        keys = [self.keys.lock, self.keys.changes, self.keys.journal["seq"]]
        return token, keys, [token, LOCK_MS, self.last_id, "1" if incr else "0", self.keys.alive]

    def try_lock(self, incr: bool = False) -> Batches | None:
        """Take the lock if free: the batches committed since `last_id` (None: not taken)."""
        token, keys, args = self._lock_call(incr)
        got, entries, _seq, gap = self._acquire(keys=keys, args=args)
        if not got:
            return None
        self.token = token
        return _batches(entries, gap)

    async def atry_lock(self, incr: bool = False) -> tuple[Batches, int] | None:
        """`try_lock` on the event loop's connection, with the next journal number when `incr`."""
        token, keys, args = self._lock_call(incr)
        got, entries, seq, gap = await self.aio().acquire(keys=keys, args=args)
        if not got:
            return None
        self.token = token
        return _batches(entries, gap), int(seq)

    async def arrive(self, incr: bool) -> tuple[Batches, int]:
        """The batches committed since `last_id`, and the next journal number when `incr`."""
        keys = [self.keys.changes, self.keys.journal["seq"]]
        args = [self.last_id, "1" if incr else "0"]
        entries, seq, gap = await self.aio().arrive(keys=keys, args=args)
        return _batches(entries, gap), int(seq)

    def aio(self) -> AsyncRedis:
        """This store's asyncio connection (and scripts) for the running event loop."""
        loop = asyncio.get_running_loop()
        if self._aio is None or self._aio.loop is not loop:
            host, port, db, _prefix = parse_url(self.url)
            self._aio = AsyncRedis(host, port, db, loop)
        return self._aio

    def lock(self, timeout: float = LOCK_MS / 1000 + 5) -> Batches:
        """Take the lock, waiting for it (blocking; for code off the event loop)."""
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while True:
            batches = self.try_lock()
            if batches is not None:
                return batches
            if time.monotonic() > deadline:
                raise StoreError(f"{self.url}: the write lock was not free within {timeout:g} s")
            time.sleep(delay)
            delay = min(delay * 2, 0.02)

    def release(self) -> None:
        """Drop the lock if this process holds it."""
        if self.token is not None:
            token, self.token = self.token, None
            self._release(keys=[self.keys.lock], args=[token])

    def changes(self) -> Batches:
        """The batches committed since `last_id` (one round trip; usually none)."""
        batches = _batches(self.redis.xrange(self.keys.changes, min="(" + self.last_id))
        return Batches(batches, gap=bool(batches) and self.trimmed_past())

    def trimmed_past(self) -> bool:
        """The batch this process applied last is no longer on the stream (it fell more than
        STREAM_MAX batches behind): batches may be missing, the caller reloads the whole world."""
        if self.last_id == "0-0":
            return False
        return not self.redis.xrange(self.keys.changes, min=self.last_id, max=self.last_id, count=1)

    def commit(
        self, puts: list[Row], deletes: list[tuple[str, str]], clear: list[str], release: bool
    ) -> str:
        """Write one batch under the lock (and drop the lock when `release`); its stream id."""
        args = self._commit_args(puts, deletes, clear, release)
        try:
            return self._committed(self._commit(keys=self._commit_keys, args=args))
        finally:
            if release:
                self.token = None

    async def acommit(
        self, puts: list[Row], deletes: list[tuple[str, str]], clear: list[str], release: bool
    ) -> str:
        """`commit` on the event loop's connection."""
        args = self._commit_args(puts, deletes, clear, release)
        try:
            return self._committed(await self.aio().commit(keys=self._commit_keys, args=args))
        finally:
            if release:
                self.token = None

    @property
    def _commit_keys(self) -> list[str]:
        return [self.keys.lock, self.keys.changes]

    def _committed(self, raw_id: bytes) -> str:
        """Note the stream id of this process's own batch (unless a read already saw later
        ones); the last id applied."""
        if after(raw_id.decode(), self.last_id):
            self.last_id = raw_id.decode()
        return self.last_id

    async def arelease(self) -> None:
        """`release` on the event loop's connection."""
        if self.token is not None:
            token, self.token = self.token, None
            await self.aio().release(keys=[self.keys.lock], args=[token])

    def _commit_args(
        self, puts: list[Row], deletes: list[tuple[str, str]], clear: list[str], release: bool
    ) -> list[Any]:
        check_kinds([*clear, *(k for k, _ in deletes), *(k for k, _, _ in puts)])
        if self.token is None:
            raise StoreError("commit without the write lock")
        args: list[Any] = [self.token, "1" if release else "0", STREAM_MAX, len(clear)]
        args += [self.keys.kind(kind) for kind in clear]
        args.append(len(deletes))
        for kind, key in deletes:
            args += [self.keys.kind(kind), key]
        args.append(len(puts))
        encoded = []
        for kind, key, value in puts:
            raw = orjson.dumps(value)
            args += [self.keys.kind(kind), key, raw]
            encoded.append([kind, key, orjson.Fragment(raw)])
        batch = {"o": self.owner, "c": clear, "d": deletes, "p": encoded}
        args.append(orjson.dumps(batch))
        return args


def after(a: str, b: str) -> bool:
    """Stream id `a` comes after stream id `b`."""
    ams, _, aseq = a.partition("-")
    bms, _, bseq = b.partition("-")
    return (int(ams), int(aseq or 0)) > (int(bms), int(bseq or 0))


def _batches(entries: Any, gap: Any = 0) -> Batches:
    """(stream id, batch) pairs from XRANGE output; `gap`: batches before them are gone."""
    out = Batches(gap=bool(gap))
    for raw_id, fields in entries or []:
        if isinstance(fields, list):  # from Lua: a flat [name, value, ...] list
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        out.append((_text(raw_id), orjson.loads(fields[b"b"])))
    return out


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def drop_world(url: str) -> int:
    """Delete every key of the world `url` names (its prefix); how many were deleted."""
    client = connect(url)
    try:
        keys = list(client.scan_iter(match=_glob(Keys(parse_url(url)[3]).prefix) + "*", count=1000))
        return int(client.delete(*keys)) if keys else 0
    finally:
        client.close()


def _glob(text: str) -> str:
    """`text` with the glob characters of SCAN MATCH escaped."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)
