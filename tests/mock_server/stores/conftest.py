"""Store fixtures: every store this machine can run, and a private redis-server when installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nemo_mock.server.stores import Store, open_store

REDIS_MISSING = "redis-server not installed (Debian package `redis-server`)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of our own on a free loopback port, in a temp dir; stopped by its PID."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip(REDIS_MISSING)
    pytest.importorskip("redis", reason="redis-py not installed (pip extra `redis`)")
    import redis

    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]
    args += ["--save", "", "--appendonly", "no", "--protected-mode", "yes"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10.0
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2.0)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("redis-server did not start within 10 s")
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def fresh_redis(base: str) -> str:
    """A URL for an empty world of its own on the test redis-server (a key prefix of its own)."""
    return f"{base}/0?prefix=t{uuid.uuid4().hex[:12]}:"


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
