"""`redis://HOST:PORT/DB`: rows in Redis hashes (one per kind), each batch one MULTI/EXEC.

Durable across emulator restarts (the rows live in the Redis server; how the server itself
persists them is its own configuration: `appendonly yes` for kill -9 of Redis too). One emulator
process owns a database at a time, like `sqlite:` (each keeps the state in memory, so a second
would diverge): the owner holds a lease, `nemo:owner`, set with NX, renewed by a thread every
LEASE_MS / 3 and dropped on close, both by Lua scripts that act only while the lease is still its
own. After a kill -9 the lease lapses within LEASE_MS. Several workers sharing one world through
Redis are not built yet (README "Keeping state").
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import orjson

from nemo_mock.server.stores.base import KINDS, Row, StoreError, check_kinds

PREFIX = "nemo:"
OWNER = PREFIX + "owner"
LEASE_MS = 15_000
# compare-and-extend / compare-and-delete: only the process whose id is in the lease touches it
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _key(kind: str) -> str:
    return PREFIX + kind


class RedisStore:
    """Rows in the hashes `nemo:<kind>` of one Redis database."""

    durable = True

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError as exc:
            raise StoreError(
                "redis:// needs redis-py: pip install 'nemo-mock[redis]' (and a redis-server)"
            ) from exc
        parts = urlsplit(url)
        if not parts.hostname:
            raise StoreError(f"{url}: expected redis://HOST:PORT/DB")
        try:
            db = int(parts.path.strip("/") or 0)
        except ValueError as exc:
            raise StoreError(f"{url}: the database must be a number") from exc
        self.url = url
        self._redis = redis.Redis(
            host=parts.hostname, port=parts.port or 6379, db=db, socket_timeout=10.0
        )
        self._id = f"{uuid.uuid4().hex}"
        try:
            self._redis.ping()
            owned = self._redis.set(OWNER, self._id, nx=True, px=LEASE_MS)
        except redis.RedisError as exc:
            self._redis.close()
            raise StoreError(f"{url}: Redis does not answer ({exc})") from exc
        if not owned:
            self._redis.close()
            raise StoreError(
                f"{url} is in use by another emulator process (its lease lapses within "
                f"{LEASE_MS // 1000} s after it stops)"
            )
        self._renew = self._redis.register_script(_RENEW)
        self._release = self._redis.register_script(_RELEASE)
        self._stop = threading.Event()
        self._renewer = threading.Thread(
            target=self._keep_lease, name="nemo-mock-redis-lease", daemon=True
        )
        self._renewer.start()

    def _keep_lease(self) -> None:
        import redis

        while not self._stop.wait(LEASE_MS / 3000):
            try:
                self._renew(keys=[OWNER], args=[self._id, LEASE_MS])
            except redis.RedisError:  # Redis away for a moment: the next round tries again
                continue

    def load(self) -> dict[str, dict[str, Any]]:
        """Every row: kind -> key -> value (one round trip)."""
        pipe = self._redis.pipeline(transaction=True)
        for kind in KINDS:
            pipe.hgetall(_key(kind))
        out: dict[str, dict[str, Any]] = {}
        for kind, rows in zip(KINDS, pipe.execute(), strict=True):
            if rows:
                out[kind] = {k.decode(): orjson.loads(v) for k, v in rows.items()}
        return out

    def write(
        self,
        puts: Iterable[Row] = (),
        deletes: Iterable[tuple[str, str]] = (),
        clear: Iterable[str] = (),
    ) -> None:
        """One MULTI/EXEC: DEL the cleared kinds, HDEL the deletes, HSET the puts."""
        puts, deletes, clear = list(puts), list(deletes), list(clear)
        check_kinds([*clear, *(k for k, _ in deletes), *(k for k, _, _ in puts)])
        pipe = self._redis.pipeline(transaction=True)
        for kind in clear:
            pipe.delete(_key(kind))
        for kind, key in deletes:
            pipe.hdel(_key(kind), key)
        by_kind: dict[str, dict[Any, Any]] = {}  # redis-py types its mapping invariantly
        for kind, key, value in puts:
            by_kind.setdefault(kind, {})[key] = orjson.dumps(value)
        for kind, mapping in by_kind.items():
            pipe.hset(_key(kind), mapping=mapping)
        if len(pipe):
            pipe.execute()

    def close(self) -> None:
        """Drop the lease (if still ours) and close the connection pool."""
        import redis

        self._stop.set()
        self._renewer.join(10.0)
        with contextlib.suppress(redis.RedisError):  # unreachable: the lease lapses by itself
            self._release(keys=[OWNER], args=[self._id])
        self._redis.close()
