"""The whole library passes with the reference client against 2 emulator servers sharing one
world through Redis, consecutive requests landing on different servers (issue #19)."""

from __future__ import annotations

import pytest

from nemo_mock.scenarios import ReferenceAdapter, SharedWorld, load_library, run_scenario
from tests.redis_server import redis_url

__all__ = ["redis_url"]  # the fixture
LIBRARY = load_library()
pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.name) for s in LIBRARY])
def test_reference_client_passes_every_must_on_two_servers(scenario, redis_url):
    """DESIGN §8 on a shared world: two servers behave as one emulator, so no MUST fails."""
    shared = SharedWorld(f"{redis_url}/0", servers=2)
    result = run_scenario(scenario, ReferenceAdapter(), "body", shared=shared)
    assert not result.error, result.error
    failed = [f"{e.id}: {v.evidence}" for e, v in result.must_failures]
    outputs = "\n".join(f"[{s.id}] exit={s.exit_code} {s.output!r}" for s in result.steps)
    assert not failed, "\n".join(failed) + "\n" + outputs
    servers = {e.get("worker") for e in result.journal}
    assert len(result.journal) < 2 or len(servers) == 2, servers
