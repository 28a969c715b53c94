"""A private redis-server for the tests (session-wide), and a fresh world on it per test.

`.ci/run` installs the Debian package `redis-server` when missing; without it every test that
needs Redis skips, naming the package.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

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
