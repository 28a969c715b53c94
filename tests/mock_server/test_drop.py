"""The `drop` fault on a real uvicorn: it relies on uvicorn's request cycle holding the transport.

ASGI offers no public way to close a connection without answering, so `fault_actions.transport_of`
reads uvicorn's `receive.__self__.transport`. These tests pin that on both of uvicorn's HTTP/1.1
protocols: a uvicorn release that moves it fails here, instead of every drop turning into a 500.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from nemo_mock.server.fault_actions import transport_of
from nemo_mock.server.serving import LiveServer

pytestmark = pytest.mark.live

PROTOCOLS = [
    "h11",
    pytest.param(
        "httptools",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("httptools") is None,
            reason="httptools not installed (pip install 'nemo-mock[fast]')",
        ),
    ),
]
MINT = "/api/auth/anonymous-token"
ATTRIBUTION = {"X-Skill-Source": "a", "X-Skill-Version": "1", "X-Skill-Platform": "b"}


@pytest.mark.parametrize("http", PROTOCOLS)
def test_uvicorn_receive_leads_to_the_connection_transport(http: str) -> None:
    """uvicorn's `receive` is bound to a request cycle whose `transport` can be closed."""
    found: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        found.append(transport_of(receive))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with LiveServer(app=app, http=http) as live:
        assert httpx.get(live.url + "/", timeout=10).status_code == 204
    assert found and found[0] is not None
    assert callable(found[0].close)


@pytest.mark.parametrize("http", PROTOCOLS)
def test_a_drop_rule_closes_the_socket_without_an_answer(http: str) -> None:
    """A `drop` rule: the client sees the connection closed, never a status line (no 500)."""
    with LiveServer(http=http) as live, httpx.Client(base_url=live.url, timeout=10) as c:
        rule = {"match": {"path": MINT}, "times": 1, "action": {"type": "drop"}}
        assert c.post("/_mock/faults", json=rule).json()["code"] == 0
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(MINT, headers={**ATTRIBUTION, "X-Client-Id": "d"})
