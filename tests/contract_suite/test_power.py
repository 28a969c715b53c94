"""The suite has teeth: each broken server fails the MUST check aimed at it, while the emulator
in the same error_status mode passes that check (checks are called as functions, no nested run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from broken import BROKEN
from broken.allowed import ALLOWED
from selfhost import SELF_SETTINGS, emulator_target, start_emulator

from nemo_mock.contract_suite import Target, run_check
from nemo_mock.contract_suite.registry import ERROR, FAIL, MUST, PASS
from nemo_mock.contract_suite.runner import load
from nemo_mock.server import Settings
from nemo_mock.server.serving import LiveServer

REGISTRY = load()


@pytest.fixture(scope="module")
def good() -> Iterator[dict[str, Target]]:
    """Our emulator in each error_status mode, started once for the module."""
    servers = {mode: start_emulator(mode) for mode in ("body", "http")}
    targets = {m: emulator_target(s.url, f"emulator-{m}") for m, s in servers.items()}
    yield targets
    for mode, server in servers.items():
        targets[mode].close()
        server.stop()


def _start_broken(name: str) -> LiveServer:
    build = BROKEN[name][0] if name in BROKEN else ALLOWED[name][0]
    app, world = build(Settings().merged({**SELF_SETTINGS, "error_status": "body"}))
    server = LiveServer(world.settings, world=world, app=app)
    server.start()
    return server


@pytest.mark.live
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_must_check_catches_the_broken_server(name: str, good: dict[str, Target]) -> None:
    """The check named for the breakage passes on the emulator and fails on the broken server."""
    _, check_id = BROKEN[name]
    spec = REGISTRY[check_id]
    assert spec.level == MUST
    server = _start_broken(name)
    try:
        bad = emulator_target(server.url, name)
        verdict = run_check(spec, good[server.settings.error_status])
        assert verdict.verdict == PASS, f"the emulator should pass {check_id}: {verdict.reason}"
        caught = run_check(spec, bad)
        assert caught.verdict == FAIL, f"{check_id} did not catch {name}: {caught}"
        bad.close()
    finally:
        server.stop()


@pytest.mark.live
@pytest.mark.parametrize(
    "check_id", ["error.1002_unknown_session", "sse.edit_turn", "render.output_mp4"]
)
def test_a_refused_token_errors_checks_instead_of_skipping_them(check_id: str) -> None:
    """No silent pass: a check whose token is refused (429) errors, citing the 429."""
    server = _start_broken("token_always_429")
    try:
        bad = emulator_target(server.url, "token_always_429")
        result = run_check(REGISTRY[check_id], bad)
        bad.close()
    finally:
        server.stop()
    assert result.verdict == ERROR, result
    assert "429" in result.reason


@pytest.mark.live
@pytest.mark.parametrize(
    ("name", "check_id"),
    [pytest.param(n, c, id=f"{n}-{c}") for n, (_, checks) in ALLOWED.items() for c in checks],
)
def test_a_reading_the_documents_allow_passes_the_must_check(name: str, check_id: str) -> None:
    """Fairness: a server that chose another allowed reading passes the MUST."""
    assert REGISTRY[check_id].level == MUST
    server = _start_broken(name)
    try:
        other = emulator_target(server.url, name)
        result = run_check(REGISTRY[check_id], other)
        other.close()
    finally:
        server.stop()
    assert result.verdict == PASS, f"{check_id} refused {name}: {result.reason}"


@pytest.mark.live
def test_crlf_framing_fails_only_the_adk_should() -> None:
    """CRLF is allowed by SSE (MUSTs pass) but is not ADK's framing (the SHOULD fails)."""
    server = _start_broken("crlf_framing")
    try:
        other = emulator_target(server.url, "crlf_framing")
        result = run_check(REGISTRY["sse.adk_framing"], other)
        other.close()
    finally:
        server.stop()
    assert (result.level, result.verdict) == ("SHOULD", FAIL)
    assert "CR line endings" in result.reason


@pytest.mark.live
def test_a_turn_without_credits_errors_instead_of_failing() -> None:
    """A token with no credits left cannot run an edit turn: the check errors, citing 2001."""
    server = start_emulator("body", starter_credits=0)
    try:
        poor = emulator_target(server.url, "no-credits")
        result = run_check(REGISTRY["sse.edit_turn"], poor)
        poor.close()
    finally:
        server.stop()
    assert result.verdict == ERROR, result
    assert "2001" in result.reason
