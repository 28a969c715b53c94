"""Store URLs: `memory`, `sqlite:PATH[?sync=full]`, `redis://HOST:PORT/DB`."""

from __future__ import annotations

from urllib.parse import parse_qs

from nemo_mock.server.stores.base import Store, StoreError
from nemo_mock.server.stores.memory import MemoryStore

SCHEMES = ("memory", "sqlite:PATH", "redis://HOST:PORT/DB[?prefix=NAME]")


def check_url(url: str) -> str:
    """`url` when it names a store this emulator can open; StoreError saying why not otherwise."""
    if url == "memory":
        return url
    if url.startswith("sqlite:"):
        path, _, query = url[len("sqlite:") :].partition("?")
        if not path:
            raise StoreError("sqlite: needs a file path, e.g. sqlite:state.db")
        sync = parse_qs(query).get("sync", ["normal"])[-1]
        if sync not in ("normal", "full"):
            raise StoreError(f"sqlite sync must be 'normal' or 'full', not {sync!r}")
        return url
    if url.startswith("redis://"):
        from nemo_mock.server.stores.redis import parse_url

        parse_url(url)
        return url
    raise StoreError(f"unknown store {url!r}: one of {', '.join(SCHEMES)}")


def open_store(url: str) -> Store:
    """The store `url` names, opened (StoreError when it cannot be)."""
    check_url(url)
    if url == "memory":
        return MemoryStore()
    if url.startswith("sqlite:"):
        from nemo_mock.server.stores.sqlite import SqliteStore

        path, _, query = url[len("sqlite:") :].partition("?")
        return SqliteStore(path, sync=parse_qs(query).get("sync", ["normal"])[-1])
    from nemo_mock.server.stores.redis import RedisStore

    return RedisStore(url)
