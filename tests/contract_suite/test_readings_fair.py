"""Fairness: the render checks accept every shape of the render status the sources allow
(v1.9 §3.5 "Status at top-level `status`"; the envelope; `{success, data}`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selfhost import emulator_target, start_emulator

from nemo_mock.contract_suite import run_check
from nemo_mock.contract_suite.registry import PASS
from nemo_mock.contract_suite.runner import load

REGISTRY = load()


@pytest.fixture(params=["envelope", "bare", "success"])
def shaped(request: pytest.FixtureRequest) -> Iterator[str]:
    server = start_emulator("body", render_status_shape=request.param)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.mark.live
@pytest.mark.parametrize("check_id", ["render.lifecycle", "render.download_fallback"])
def test_render_checks_pass_under_every_status_shape(shaped: str, check_id: str) -> None:
    """A MUST accepts every reading its sentence allows: all three shapes pass."""
    target = emulator_target(shaped, "emulator")
    try:
        verdict = run_check(REGISTRY[check_id], target)
    finally:
        target.close()
    assert verdict.verdict == PASS, (verdict.reason, verdict.evidence)
