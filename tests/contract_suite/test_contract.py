"""Every registered check passes against our emulator in both error_status modes (DESIGN §9).

The emulator is discovered like any target, so nothing is "not applicable": a check that is
would hide a gap in discovery or in the emulator.
"""

from __future__ import annotations

import pytest

from nemo_mock.contract_suite import Target, run_check
from nemo_mock.contract_suite.registry import PASS
from nemo_mock.contract_suite.runner import load

SPECS = list(load().values())


@pytest.mark.live
@pytest.mark.parametrize("spec", [pytest.param(s, id=s.id) for s in SPECS])
def test_the_emulator_passes_the_check(spec: object, target: Target) -> None:
    """Our emulator conforms to each rule, MUST and SHOULD alike."""
    result = run_check(spec, target)  # type: ignore[arg-type]
    assert result.verdict == PASS, (
        f"{result.level} {result.id}: {result.verdict}: {result.reason}\n  "
        + "\n  ".join(result.evidence)
    )
