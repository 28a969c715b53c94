"""The World on `redis://HOST:PORT/DB` (one emulator process): writes reach Redis before their
answer, and a restarted emulator gives back what clients saw (several processes sharing one
world: test_shared_world.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from nemo_mock.server.stores import detach
from nemo_mock.server.stores import kept as kept_module
from nemo_mock.server.stores.redis import Keys, connect, drop_world, parse_url
from tests.conftest import Api, make_settings
from tests.redis_server import fresh_redis


@pytest.fixture
def url(redis_url: str) -> Iterator[str]:
    """A world of its own on the private redis-server (its keys deleted after)."""
    url = fresh_redis(redis_url)
    yield url
    drop_world(url)


@pytest.fixture
def open_api(url: str) -> Iterator[Any]:
    """`open_api()` starts an emulator on the database; the previous one is shut down first."""
    running: list[Api] = []

    def start() -> Api:
        for old in running:
            detach(old.world)
        running.clear()
        api = Api(make_settings(store=url))
        running.append(api)
        return api

    yield start
    for old in running:
        detach(old.world)


def test_a_session_is_in_redis_when_the_answer_arrives(
    open_api: Any, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write is committed before its response is sent (read with a client of our own)."""
    monkeypatch.setattr(kept_module.Kept, "_schedule", lambda self: None)  # only the send path
    api = open_api()
    sid = api.session(api.token())["session_id"]
    own = connect(url)
    try:
        raw = own.hget(Keys(parse_url(url)[3]).kind("session"), sid)
    finally:
        own.close()
    assert raw is not None and json.loads(raw)["id"] == sid


def test_a_restarted_emulator_gives_back_sessions_and_credits(open_api: Any) -> None:
    """Restart restores tokens, sessions with drafts and credits from Redis."""
    api = open_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    draft = api.world.sessions[sid].draft
    user_id = api.world.tokens[token].user_id
    api.http.post(f"/_mock/users/{user_id}/credits", json={"total": 42})
    again = open_api()
    h = again.headers(token)
    state = again.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=h).json()["data"]
    balance = again.http.get("/api/credits/balance/simple", headers=h).json()["data"]
    assert state["state"]["draft"] == draft
    assert balance == {"available": 42, "frozen": 0, "total": 42}
