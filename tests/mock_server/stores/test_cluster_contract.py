"""The contract suite passes against 2 emulator processes sharing one world through Redis, with
consecutive requests landing on different processes (issue #19: "the whole contract suite …
pass[es] against 2 workers sharing Redis")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nemo_mock.contract_suite import Target, run_check
from nemo_mock.contract_suite.registry import PASS
from nemo_mock.contract_suite.runner import load
from tests.contract_suite.selfhost import emulator_target
from tests.mock_server.stores.cluster import Cluster
from tests.redis_server import fresh_redis

SPECS = list(load().values())
pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(redis_url: str) -> Iterator[Cluster]:
    """Two `nemo-mock serve` processes on one redis:// world, behind a round-robin balancer."""
    c = Cluster(fresh_redis(redis_url), 2, ["--seed", "1234", "--set", "clock_start=1800000000"])
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def target(cluster: Cluster) -> Iterator[Target]:
    """The cluster, discovered like any target (through the balancer)."""
    t = emulator_target(cluster.url, "emulator-2-workers")
    try:
        yield t
    finally:
        t.close()


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.id) for s in SPECS])
def test_two_workers_pass_the_check(spec: object, target: Target, cluster: Cluster) -> None:
    """Each rule holds when every other request is served by the other process."""
    result = run_check(spec, target)  # type: ignore[arg-type]
    assert result.verdict == PASS, (
        f"{result.level} {result.id}: {result.verdict}: {result.reason}\n  "
        + "\n  ".join(result.evidence)
    )


def test_both_workers_served_requests(cluster: Cluster, target: Target) -> None:
    """The balancer alternated: each process served about half of the requests."""
    counts = cluster.balancer.counts
    assert min(counts) > 0 and max(counts) - min(counts) <= 1, counts
