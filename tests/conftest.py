"""Shared fixtures: Hypothesis profiles, an in-process API helper and a live-server factory."""

from __future__ import annotations

import importlib
import os
import pkgutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio._core._fileio  # noqa: F401 - see below
import av  # noqa: F401 - see below
import pytest
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from nemo_mock.server import Settings, World, create_app
from nemo_mock.server.app import EmulatorApp
from nemo_mock.server.serving import LiveServer
from tests.wire_check import WireLog, checking

# Python 3.11's parser is not thread-safe while pytest rewrites assertions: two threads building
# an AST at once can fail with "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905). anyio is a pytest plugin and so is nemo_mock (its pytest11 entry
# point), so pytest rewrites their modules as they are first imported; the modules a server
# thread would import lazily (anyio's file helpers for FileResponse, PyAV for the rendered MP4,
# every module of ours: the stores are imported when a world opens one) are imported here, up
# front, in the main thread.


def _import_ours_up_front() -> None:
    """Import every module of the installed package (each package pyproject.toml maps onto a
    folder walked on its own path; `__main__` modules run a command, so they are left out)."""
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    seen: set[str] = set()
    for root in pyproject["tool"]["setuptools"]["package-dir"]:
        package = importlib.import_module(root)
        for info in pkgutil.walk_packages(package.__path__, f"{root}."):
            if info.name not in seen and not info.name.endswith(".__main__"):
                seen.add(info.name)
                importlib.import_module(info.name)


_import_ours_up_front()

settings.register_profile(
    "ci",
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The public documents (seeds, v1.9) live beside the checkout in ../shared (as CI lays them out);
# NEMO_SHARED_DIR points elsewhere. Tests that quote them skip, naming this, when they are absent.
SHARED = Path(os.environ.get("NEMO_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
CLOCK_START = 1_800_000_000.0  # a fixed virtual epoch: tests see the same times on every run
ATTRIBUTION = {
    "X-Skill-Source": "video-create",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}


@pytest.fixture(scope="session", autouse=True)
def wire_log() -> Iterator[WireLog]:
    """Every answer any emulator of this process sends is checked against contracts/ (DESIGN §2:
    one truth): the app class itself is wrapped, so TestClient, LiveServer, the scenario runner
    and the pytest plugin are all covered."""
    log = WireLog()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EmulatorApp, "__call__", checking(EmulatorApp.__call__, log))
        yield log


@pytest.fixture(autouse=True)
def wire_conforms(wire_log: WireLog, request: pytest.FixtureRequest) -> Iterator[None]:
    """A test fails when an answer the emulator sent during it departs from the contract."""
    start = len(wire_log.mismatches)
    yield
    found = wire_log.since(start)
    if found and request.node.get_closest_marker("breaks_contract") is None:
        pytest.fail(
            f"{len(found)} answer(s) departed from contracts/:\n" + "\n".join(map(str, found[:10])),
            pytrace=False,
        )


class Api:
    """An in-process emulator with a sync client and shortcuts for the common chain."""

    def __init__(self, settings: Settings) -> None:
        self.world = World(settings)
        self.app = create_app(settings, self.world)
        self.http = TestClient(self.app, raise_server_exceptions=True)
        self._clients = 0

    @property
    def settings(self) -> Settings:
        return self.world.settings

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        h = dict(ATTRIBUTION)
        if token:
            h["Authorization"] = f"Bearer {token}"
        h.update(extra)
        return h

    def token(self, client_id: str | None = None) -> str:
        self._clients += 1
        r = self.http.post(
            "/api/auth/anonymous-token",
            headers={**ATTRIBUTION, "X-Client-Id": client_id or f"client-{self._clients}"},
        )
        assert r.json()["code"] == 0, r.text
        token: str = r.json()["data"]["token"]
        return token

    def session(self, token: str, **body: Any) -> dict[str, Any]:
        r = self.http.post(
            "/api/tasks/me/with-session/nemo_agent",
            headers=self.headers(token),
            json={"task_name": "project", **body},
        )
        assert r.json()["code"] == 0, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    def add_clip(self, session_id: str, seconds: int = 10) -> None:
        """Give a session a video track directly through the world (what an edit turn does)."""
        session = self.world.sessions[session_id]
        draft = {
            "t": [{"tt": 0, "sg": [{"st": 0, "d": seconds * 1000, "m": {"name": "clip"}}]}],
            "d": seconds * 1000,
        }
        self.world.change(session, draft=draft)

    def advance(self, seconds: float) -> None:
        self.world.clock.advance(seconds)


def make_settings(**overrides: Any) -> Settings:
    """Test settings: fixed epoch, frozen clock (only `advance` moves it) unless overridden."""
    base: dict[str, Any] = {"seed": 1234, "clock_start": CLOCK_START, "time_scale": 0.0}
    base.update(overrides)
    return Settings().merged(base)


@pytest.fixture
def make_api() -> Callable[..., Api]:
    """Factory: `make_api(error_status="http", ...)` gives a fresh in-process emulator."""
    return lambda **overrides: Api(make_settings(**overrides))


@pytest.fixture(params=["body", "http"])
def error_status(request: pytest.FixtureRequest) -> str:
    """Run a test under both error_status modes."""
    mode: str = request.param
    return mode


@pytest.fixture
def api(make_api: Callable[..., Api], error_status: str) -> Api:
    """A fresh emulator, once per error_status mode."""
    return make_api(error_status=error_status)


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    """Factory for live servers on 127.0.0.1 (free port); all are stopped after the test."""
    started: list[LiveServer] = []

    def start(**overrides: Any) -> LiveServer:
        server = LiveServer(make_settings(**overrides))
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
