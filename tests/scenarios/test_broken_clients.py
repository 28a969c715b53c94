"""Power: each deliberately broken client fails the MUST it breaks; the same client unbroken
passes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nemo_mock.scenarios import CommandAdapter, load_library, run_scenario

HERE = Path(__file__).parent / "broken_clients"
LIBRARY = {s.name: s for s in load_library()}

# broken client -> (scenario, the MUST expectation it must fail)
BROKEN = {
    "broken_no_attribution": ("happy-generate-export", "attribution-everywhere"),
    "broken_resend_after_silent_close": ("silent-close-after-edit", "nothing-re-sent"),
    "broken_no_429_retry": ("rate-limit-429-retry", "retried-once"),
    "broken_fast_render_poll": ("render-polling", "polls-not-faster-than-30s"),
    "broken_print_token": ("happy-generate-export", "no-token-shown"),
    "broken_gui_passthrough": ("gui-translation-en", "no-click"),
}


def command(name: str) -> CommandAdapter:
    return CommandAdapter(f"{sys.executable} {HERE / name}.py")


@pytest.mark.live
@pytest.mark.parametrize(
    ("client", "target"), [pytest.param(k, v, id=k) for k, v in BROKEN.items()]
)
def test_broken_client_fails_its_must(client, target):
    """A client that breaks one documented rule fails that rule's MUST expectation."""
    scenario, expectation = target
    result = run_scenario(LIBRARY[scenario], command(client), "body")
    assert expectation in result.failed_ids(), [(e.id, v.evidence) for e, v in result.verdicts]
    assert not result.passed


@pytest.mark.live
@pytest.mark.parametrize("scenario", sorted({s for s, _ in BROKEN.values()}))
def test_unbroken_mini_client_passes_the_same_musts(scenario):
    """The control: the same minimal client without a defect passes every MUST there."""
    result = run_scenario(LIBRARY[scenario], command("mini_ok"), "body")
    assert result.passed, [(e.id, v.evidence) for e, v in result.must_failures]


def test_there_are_at_least_five_broken_clients():
    """Issue: ship at least 5 deliberately broken clients."""
    assert len(list(HERE.glob("broken_*.py"))) >= 5
    assert len(BROKEN) >= 5
