"""Fairness: client B, written from the seeds and v1.9 alone with other allowed choices, passes
every MUST of the library in both error_status variants (a failure here is a false alarm).
"""

from __future__ import annotations

import ast

import pytest

from nemo_mock.scenarios import load_library, run_scenario
from nemo_mock.scenarios._report import stderr_tails
from tests.scenarios.good_clients import CLIENT_B, client_b

LIBRARY = load_library()
RUNS = [pytest.param(s, v, id=f"{s.name}[{v}]") for s in LIBRARY for v in s.variants("all")]


@pytest.mark.live
@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "variant"), RUNS)
def test_client_b_passes_every_must(scenario, variant):
    """DESIGN §8: a MUST accepts every reading its sentence allows, so a second faithful client
    that chose differently fails none.
    """
    result = run_scenario(scenario, client_b(), variant)
    assert not result.error, result.error
    failed = [f"{e.id}: {v.evidence}" for e, v in result.must_failures]
    steps = "\n".join(f"[{s.id}] exit={s.exit_code} {s.output!r}" for s in result.steps)
    tails = "\n".join(f"[{i}] {t}" for i, t in stderr_tails(result))
    assert not failed, "\n".join(failed) + "\n" + steps + "\n" + tails


def test_client_b_imports_nothing_of_ours():
    """Issue 13: client B is written from the documents, never from our code."""
    ours = {"nemo_mock", "client", "mock_server", "contracts", "scenarios", "tests"}
    for path in CLIENT_B.parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ours, (path.name, name)
