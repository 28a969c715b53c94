"""The wire check (tests/wire_check.py) catches answers that depart from contracts/, passes the
ones that conform, and is installed around every emulator the tests start."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from nemo_mock import contracts
from tests.conftest import Api
from tests.wire_check import WireLog, api_contract, checking

TOKEN_OK = {
    "code": 0,
    "message": "success",
    "data": {"token": "nmv_usr_x", "credits": 100, "expires_in": 604800, "user_id": "u"},
}
EVENT = {
    "id": "e1",
    "invocationId": "e-1",
    "author": "nemo_agent",
    "timestamp": 1.0,
    "content": {"role": "model", "parts": [{"text": "hi"}]},
    "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
}
SSE = "text/event-stream; charset=utf-8"


def problems(method: str, path: str, status: int, body: bytes, ctype: str) -> list[str]:
    headers = {"content-type": ctype, "content-length": str(len(body))}
    return api_contract().problems(method, path, status, headers, body)


def frames(*blocks: bytes) -> bytes:
    return b"".join(b + b"\n\n" for b in blocks)


def test_a_documented_success_conforms() -> None:
    """The anonymous-token success envelope of openapi.yaml conforms."""
    body = json.dumps(TOKEN_OK).encode()
    assert problems("POST", "/api/auth/anonymous-token", 200, body, "application/json") == []


@pytest.mark.parametrize(
    ("body", "status", "what"),
    [
        pytest.param({**TOKEN_OK, "data": {"token": "x"}}, 200, "not valid", id="missing-fields"),
        pytest.param(
            {"code": 400, "message": "m", "data": None}, 200, "at (root)", id="400-in-200"
        ),
        pytest.param(TOKEN_OK, 418, "status 418", id="undocumented-status"),
    ],
)
def test_a_body_that_departs_is_caught(body: dict[str, Any], status: int, what: str) -> None:
    """A body or status the document does not allow is reported."""
    found = problems(
        "POST", "/api/auth/anonymous-token", status, json.dumps(body).encode(), "application/json"
    )
    assert any(what in p for p in found), found


def test_a_wrong_content_length_is_caught() -> None:
    """Content-Length must be the number of bytes sent."""
    body = json.dumps(TOKEN_OK).encode()
    headers = {"content-type": "application/json", "content-length": str(len(body) + 1)}
    found = api_contract().problems("POST", "/api/auth/anonymous-token", 200, headers, body)
    assert any("Content-Length" in p for p in found)


def test_a_conforming_stream_passes() -> None:
    """Heartbeats of the documented forms and ADK event frames conform."""
    body = frames(b": heartbeat", b"data: ", b"data: " + json.dumps(EVENT).encode())
    assert problems("POST", "/run_sse", 200, body, SSE) == []


@pytest.mark.parametrize(
    ("body", "what"),
    [
        pytest.param(frames(b": ping"), "heartbeat", id="undocumented-heartbeat"),
        pytest.param(frames(b'data: {"text": "hi"}'), "frame:", id="not-an-event"),
        pytest.param(frames(b"event: x\ndata: {}"), "single", id="event-line"),
        pytest.param(b'data: {"id": "e1"', "ends inside", id="cut-mid-frame"),
        pytest.param(frames(b"data: {"), "not JSON", id="bad-json"),
    ],
)
def test_a_stream_that_departs_is_caught(body: bytes, what: str) -> None:
    """Frames that are neither documented heartbeats nor ADK events are reported."""
    found = problems("POST", "/run_sse", 200, body, SSE)
    assert any(what in p for p in found), found


def test_heartbeat_forms_are_the_ones_the_facts_give() -> None:
    """openapi.yaml's x-heartbeats and facts.yaml's turn.heartbeats list the same bytes."""
    assert [h.decode() for h in api_contract().heartbeats] == contracts.facts()["turn"][
        "heartbeats"
    ]


def test_unknown_path_must_answer_the_404_envelope() -> None:
    """A path no operation describes answers 404 in the error envelope."""
    good = json.dumps({"code": 404, "message": "No such endpoint.", "data": None}).encode()
    assert problems("GET", "/nope", 404, good, "application/json") == []
    assert problems("GET", "/nope", 200, b"{}", "application/json") != []


def test_checking_wraps_an_asgi_app_and_logs_what_departs() -> None:
    """`checking` records one mismatch per departing answer, none for a conforming one."""

    async def token(_: Any) -> Response:
        return Response(json.dumps(TOKEN_OK), media_type="application/json")

    async def broken(_: Any) -> Response:
        return Response(b"{}", media_type="application/json")

    class App(Starlette):
        pass

    log = WireLog()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(App, "__call__", checking(Starlette.__call__, log))
        app = App(
            routes=[
                Route("/api/auth/anonymous-token", token, methods=["POST"]),
                Route("/api/credits/balance/simple", broken),
            ]
        )
        with TestClient(app) as http:
            http.post("/api/auth/anonymous-token")
            http.get("/api/credits/balance/simple")
    assert log.checked == 2
    assert [m.path for m in log.mismatches] == ["/api/credits/balance/simple"]


def test_every_emulator_of_the_tests_is_checked(
    make_api: Callable[..., Api], wire_log: WireLog
) -> None:
    """The session-wide hook sees the answers of an emulator made by a test."""
    before = wire_log.checked
    api = make_api()
    api.token()
    assert wire_log.checked == before + 1
