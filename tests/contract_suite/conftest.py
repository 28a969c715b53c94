"""Our emulator as the contract suite's target, once per error_status mode (`body`, `http`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selfhost import emulator_target, start_emulator

from nemo_mock.contract_suite import Target

MODES = ("body", "http")


@pytest.fixture(scope="session", params=MODES, ids=[f"emulator-{m}" for m in MODES])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The emulator (nemo-mock serve's defaults) in one error_status mode, discovered."""
    server = start_emulator(request.param)
    t = emulator_target(server.url, f"emulator-{request.param}")
    try:
        yield t
    finally:
        t.close()
        server.stop()
