"""`redis://HOST:PORT/DB`: rows in Redis hashes (one per kind), each batch one MULTI/EXEC.

Durable across emulator restarts (the rows live in the Redis server; how the server itself
persists them is its own configuration: `appendonly yes` for kill -9 of Redis too). One emulator
process owns a database at a time, like `sqlite:`; several workers sharing one world through
Redis are not built yet (see README "Stores").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import orjson

from nemo_mock.server.stores.base import KINDS, Row, StoreError, check_kinds

PREFIX = "nemo:"


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
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise StoreError(f"{url}: Redis does not answer ({exc})") from exc

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
        """Close the connection pool."""
        self._redis.close()
