"""The suite has teeth: each deliberately broken server fails the MUST check aimed at it, while the
emulator passes the same check (checks are called as functions; no nested pytest run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from broken import BROKEN
from nemo_contract import checks_auth, checks_errors, checks_render, checks_schema, checks_sse  # noqa: F401
from nemo_contract.registry import FAIL, MUST, PASS, REGISTRY, run_check
from nemo_contract.selfhost import SELF_SETTINGS, emulator_target, runs_sse

from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer


@pytest.fixture
def serve() -> Iterator[object]:
    started: list[LiveServer] = []

    def start(build: object = None) -> LiveServer:
        settings = Settings().merged({**SELF_SETTINGS, "error_status": "body"})
        if build is None:
            server = LiveServer(settings)
        else:
            app, world = build(settings)  # type: ignore[operator]
            server = LiveServer(world.settings, world=world, app=app)
        server.start()
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_must_check_catches_the_broken_server(name: str, serve: object) -> None:
    """The check aimed at the breakage passes on the emulator and fails on the broken server."""
    build, check_id, needs_sse = BROKEN[name]
    spec = REGISTRY[check_id]
    assert spec.level == MUST
    good = emulator_target(serve().url, "body", fuzz_examples=15)  # type: ignore[operator]
    if needs_sse and not runs_sse(good):
        pytest.skip("not applicable until the emulator's /run_sse lands (it answers 501)")
    verdict = run_check(spec, good)
    assert verdict.status == PASS, f"emulator should pass {check_id}: {verdict.reason}"
    bad = emulator_target(serve(build).url, "body", fuzz_examples=15)  # type: ignore[operator]
    caught = run_check(spec, bad)
    assert caught.status == FAIL, (
        f"{check_id} did not catch {name}: {caught.status} {caught.reason}"
    )
    good.close()
    bad.close()
