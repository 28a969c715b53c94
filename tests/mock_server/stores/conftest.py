"""Store fixtures: every store this machine can run, and a private redis-server when installed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nemo_mock.server.stores import Store, open_store
from tests.redis_server import fresh_redis, redis_url

__all__ = ["fresh_redis", "redis_url"]  # fixtures and helpers of tests/redis_server.py


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for a fresh, empty store of each kind."""
    kind: str = request.param
    if kind == "memory":
        return "memory"
    if kind == "sqlite":
        return f"sqlite:{tmp_path / 'state.db'}"
    base: str = request.getfixturevalue("redis_url")
    return fresh_redis(base)


@pytest.fixture
def make_store(store_url: str) -> Iterator[Callable[[], Store]]:
    """Open the store (again); every store opened is closed after the test."""
    opened: list[Store] = []
    memory: Store | None = None

    def make() -> Store:
        nonlocal memory
        if store_url == "memory":  # one process, one memory: "reopening" gives the same rows
            memory = memory or open_store("memory")
            return memory
        for s in opened:
            s.close()
        opened.clear()
        store = open_store(store_url)
        opened.append(store)
        return store

    yield make
    for s in opened:
        s.close()
