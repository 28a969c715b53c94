"""Fixtures: the emulator (or a broken server of the contract suite) with a proxy in front."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nemo_mock.proxy import Proxy
from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

# the contract suite's broken servers live in its folder (imported as `broken` there too)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract_suite"))

CLOCK_START = 1_800_000_000.0
ATTRIBUTION = {
    "X-Skill-Source": "video-create",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}


def settings(**overrides: Any) -> Settings:
    """Emulator settings for proxy tests: fixed epoch and seed, time running fast."""
    base: dict[str, Any] = {"seed": 7, "clock_start": CLOCK_START, "time_scale": 600.0}
    base.update(overrides)
    return Settings().merged(base)


class Pair:
    """An upstream (LiveServer) and a proxy in front of it, plus an httpx client to the proxy."""

    def __init__(self, live: LiveServer, proxy: Proxy) -> None:
        self.live, self.proxy = live, proxy
        self.http = httpx.Client(base_url=proxy.url, timeout=20.0)
        self._clients = 0

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        h = dict(ATTRIBUTION)
        if token:
            h["Authorization"] = f"Bearer {token}"
        h.update(extra)
        return h

    def token(self) -> str:
        self._clients += 1
        r = self.http.post(
            "/api/auth/anonymous-token",
            headers=self.headers(**{"X-Client-Id": f"proxy-test-{self._clients}"}),
        )
        value: str = r.json()["data"]["token"]
        return value

    def session(self, token: str) -> str:
        r = self.http.post(
            "/api/tasks/me/with-session/nemo_agent",
            headers=self.headers(token),
            json={"task_name": "p", "language": "en"},
        )
        sid: str = r.json()["data"]["session_id"]
        return sid

    def rules(self) -> set[str]:
        return {v.rule for v in self.proxy.violations}


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[Callable[..., Pair]]:
    """Factory: `proxied(build=None, record=False, configure=None, **settings)`."""
    started: list[Pair] = []

    def start(
        build: Any = None,
        record: bool = False,
        configure: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> Pair:
        s = settings(**overrides)
        if build is None:
            live = LiveServer(s)
        else:
            app, world = build(s)
            live = LiveServer(world.settings, world=world, app=app)
        live.start()
        if configure:  # after a broken server's own overrides, before the proxy probes it
            live.world.configure(live.world.settings.merged(configure))
        proxy = Proxy(live.url, record=tmp_path / "bundle" if record else None)
        proxy.start()
        pair = Pair(live, proxy)
        started.append(pair)
        return pair

    yield start
    for pair in started:
        pair.http.close()
        pair.proxy.stop()
        pair.live.stop()
