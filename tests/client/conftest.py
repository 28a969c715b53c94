"""Fixtures for the client tests: a fake API, recorded sleeps, an Agent factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from client_fakes import API, WEB, FakeBackend, MediaAwareBackend

from nemo_mock.client import Agent, Config


@pytest.fixture(params=["body", "http"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both `error_status` modes of the API."""
    return str(request.param)


@pytest.fixture
def backend() -> MediaAwareBackend:
    return MediaAwareBackend()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        api_url=API,
        web_url=WEB,
        state_dir=tmp_path / "state",
        download_dir=tmp_path / "downloads",
        time_scale=1.0,
    )


@pytest.fixture
def make_agent(
    backend: FakeBackend, config: Config, sleeps: list[float]
) -> Iterator[Callable[..., Agent]]:
    agents: list[Agent] = []

    def make(**changes: Any) -> Agent:
        agent = Agent(
            config.with_(**changes),
            transport=backend.transport,
            sleep=sleeps.append,
            clock=backend.clock,
        )
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.close()
