"""The one request path: the exchange layer around the router, and the scope endpoints."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Api

CREDITS = "/api/credits/balance/simple"


def _broken(authorization: str | None) -> Any:
    raise RuntimeError("boom")


@pytest.mark.breaks_contract  # a 500 is an emulator bug: no operation documents it
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", CREDITS), ("POST", "/api/tasks/me/with-session/nemo_agent")],
)
def test_an_emulator_bug_answers_the_500_envelope_journalled_once(
    make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch, method: str, path: str
) -> None:
    """A crash answers code 500 naming the exception, on scope and Request endpoints alike."""
    api = make_api()
    monkeypatch.setattr(api.world, "authenticate", _broken)
    http = TestClient(api.app, raise_server_exceptions=False)
    r = http.request(method, path, json={"task_name": "x"})
    assert (r.status_code, r.json()["code"]) == (500, 500)
    assert r.json()["message"] == "Emulator error: RuntimeError"
    entries = api.world.journal.query({"path": path})
    assert [(e["status"], e["code"]) for e in entries] == [(500, 500)]


@pytest.mark.breaks_contract  # a 500 is an emulator bug: no operation documents it
def test_an_emulator_bug_reaches_the_server_too(
    make_api: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the 500 envelope the exception is re-raised, so the server logs it."""
    api = make_api()
    monkeypatch.setattr(api.world, "authenticate", _broken)
    with pytest.raises(RuntimeError, match="boom"):
        api.http.get(CREDITS)


def test_a_scope_endpoint_answers_with_the_envelope_headers(api: Api) -> None:
    """The polled reads send Content-Length then Content-Type: application/json, nothing else."""
    r = api.http.get(CREDITS, headers=api.headers(api.token()))
    assert r.headers.raw == [
        (b"content-length", str(len(r.content)).encode()),
        (b"content-type", b"application/json"),
    ]
    assert (
        r.content
        == b'{"code":0,"message":"success","data":{"available":100,"frozen":0,"total":100}}'
    )


def test_a_scope_endpoint_error_is_the_envelope_with_its_code(api: Api) -> None:
    """Without a token a polled read answers 1001 in the envelope, journalled with its code."""
    r = api.http.get(CREDITS)
    assert r.json()["code"] == 1001
    e = api.world.journal.query({"path": CREDITS})[-1]
    assert (e["status"], e["code"], e["content_type"]) == (r.status_code, 1001, "application/json")


def test_fault_rules_apply_to_the_polled_reads(api: Api) -> None:
    """A fault rule matching a polled read answers its error instead of the read."""
    api.world.faults.add(
        {"match": {"path": "/api/credits/*"}, "action": {"type": "error", "code": 429}}
    )
    assert api.http.get(CREDITS, headers=api.headers(api.token())).json()["code"] == 429


def test_an_error_raised_under_a_malformed_json_rule_is_cut_too(api: Api) -> None:
    """Handler errors pass through the fault's wrappers: the client gets half an envelope."""
    api.world.faults.add({"match": {"path": CREDITS}, "action": {"type": "malformed_json"}})
    r = api.http.get(CREDITS)  # no token: the endpoint raises 1001
    whole = b'{"code":1001,"message":"Missing Authorization: Bearer <token>.","data":null}'
    assert (r.status_code, r.content) == (200, whole[: len(whole) // 2])


def test_the_control_plane_answers_errors_with_the_envelope(api: Api) -> None:
    """An ApiError on /_mock answers its envelope although /_mock is not journalled."""
    r = api.http.post("/_mock/tokens/revoke", json={"token": "nope"})
    assert r.json()["code"] == 404
    assert api.world.journal.query({"path": "/_mock/tokens/revoke"}) == []


class _Cycle:
    """uvicorn's shape: `send` and `receive` are methods of a request cycle that holds the
    scope (so anything the app leaves in the scope pointing at them makes a cycle)."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.scope = scope
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def _exchange(api: Api, path: str, token: str) -> list[dict[str, Any]]:
    headers = [(k.lower().encode(), v.encode()) for k, v in api.headers(token).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    cycle = _Cycle(scope)
    asyncio.run(api.app(scope, cycle.receive, cycle.send))
    return cycle.sent


def test_an_exchange_leaves_no_reference_cycle(api: Api) -> None:
    """Each request's objects are freed by reference counting alone: a cycle per exchange (the
    scope holding the server's send, bound to the cycle that holds the scope) would leave every
    exchange to the garbage collector."""
    token = api.token()
    sid = api.session(token)["session_id"]
    paths = [CREDITS, f"/api/state/nemo_agent/me/{sid}/latest", "/api/nothing-here"]
    for path in paths:  # warm: first calls fill caches
        _exchange(api, path, token)
    gc.collect()
    gc.disable()
    try:
        for path in paths * 5:
            sent = _exchange(api, path, token)
            assert sent[0]["type"] == "http.response.start"
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0


def test_a_polled_read_records_what_the_client_got(api: Api) -> None:
    """A scope endpoint writes status, code and content type into its journal entry itself."""
    token = api.token()
    sent = _exchange(api, CREDITS, token)
    e = api.world.journal.query({"path": CREDITS})[-1]
    assert sent[0]["status"] == 200
    assert (e["status"], e["code"], e["content_type"]) == (200, 0, "application/json")
    assert e["duration_real"] >= 0 and e["vtime_end"] >= e["vtime"]


def test_a_polled_reads_entry_is_not_tracked_by_the_gc(api: Api) -> None:
    """An entry holding only atomic values (headers packed into bytes) is never a GC container:
    10,000 kept entries add nothing to the collector's work."""
    token = api.token()
    _exchange(api, CREDITS, token)
    e = api.world.journal.rows()[-1]
    assert e["path"] == CREDITS
    assert not gc.is_tracked(e)


@pytest.mark.parametrize(
    ("headers", "server", "root", "expected"),
    [
        ([(b"host", b"emu.local:9000")], ("127.0.0.1", 8000), "", "http://emu.local:9000"),
        ([], ("127.0.0.1", 8000), "", "http://127.0.0.1:8000"),
        ([(b"host", b"")], ["10.0.0.1", 81], "", "http://10.0.0.1:81"),
        ([(b"host", b"h")], None, "/mock/", "http://h/mock"),
    ],
)
def test_the_base_url_of_a_scope(
    headers: list[tuple[bytes, bytes]], server: Any, root: str, expected: str
) -> None:
    """URLs in answers use the Host the client sent, else the server's address, plus root_path."""
    from nemo_mock.server.endpoints import scope_base_url

    scope = {"scheme": "http", "headers": headers, "server": server, "root_path": root}
    assert scope_base_url(scope) == expected
