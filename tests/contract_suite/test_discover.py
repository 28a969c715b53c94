"""Capability discovery: what a target answers is declared, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selfhost import start_emulator
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from nemo_mock.contract_suite import discover
from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer


@pytest.fixture
def guarded() -> Iterator[str]:
    server = start_emulator("http", admin_token="s3cret")
    yield server.url
    server.stop()


@pytest.mark.live
def test_the_emulator_declares_its_control_plane_clock_and_settings() -> None:
    """`nemo-mock serve` answers every probe: all capabilities, with error_status and interval."""
    server = start_emulator("http", heartbeat_interval=15)
    try:
        caps, notes = discover(server.url)
    finally:
        server.stop()
    assert {"control_plane", "virtual_clock", "credits_topup", "claim_page"} <= caps.names
    assert (caps.error_status, caps.heartbeat_interval) == ("http", 15.0)
    assert not notes


@pytest.mark.live
def test_a_guarded_control_plane_is_named_not_assumed(guarded: str) -> None:
    """Behind an admin token the plane is not declared, and the printout says how to pass it."""
    caps, notes = discover(guarded)
    assert not caps.has("control_plane")
    assert any("admin_token" in n for n in notes)
    caps, _ = discover(guarded, admin_token="s3cret")
    assert caps.has("control_plane") and caps.error_status == "http"


@pytest.mark.live
def test_a_server_without_a_control_plane_declares_nothing_of_it() -> None:
    """A plain API server (404 JSON everywhere else) gets no capability but loopback spending."""

    async def nothing(request: object) -> JSONResponse:
        return JSONResponse({"code": 404, "message": "Not found.", "data": None}, 404)

    app = Starlette(routes=[Route("/{path:path}", nothing)])
    server = LiveServer(Settings().merged({"port": 0}), app=app)
    server.start()
    try:
        caps, _ = discover(server.url)
    finally:
        server.stop()
    assert caps.names == frozenset({"spend_credits"})
    assert caps.error_status is None
