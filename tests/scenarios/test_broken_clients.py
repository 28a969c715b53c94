"""Power: each deliberately broken client fails the MUST row that names its defect, while both good
clients (the reference client and client B) and the same minimal client unbroken pass that row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nemo_mock.scenarios import CommandAdapter, load_library, run_scenario
from tests.scenarios.good_clients import GOOD

HERE = Path(__file__).parent / "broken_clients"
LIBRARY = {s.name: s for s in load_library()}

# broken client -> the (scenario, MUST expectation) row that catches it
BROKEN = {
    "broken_no_attribution": ("happy-generate-export", "attribution-everywhere"),
    "broken_resend_after_silent_close": ("silent-close-after-edit", "nothing-re-sent"),
    "broken_no_429_retry": ("rate-limit-429-retry", "retried-once"),
    "broken_fast_render_poll": ("render-polling", "polls-not-faster-than-30s"),
    "broken_print_token": ("happy-generate-export", "no-token-shown"),
    "broken_gui_passthrough": ("gui-translation-en", "no-click"),
    "broken_render_poll_forever": ("render-never-finishes", "at-most-10-polls"),
    "broken_resend_after_drop": ("dropped-stream-no-resend", "not-re-sent"),
    "broken_resend_after_timeout": ("heartbeat-only-timeout", "not-re-sent"),
    "broken_no_state_after_silent_close": ("silent-close-after-edit", "state-polled-after-close"),
    "broken_reuse_render_id": ("render-failure-retry", "new-id"),
    "broken_new_client_id_on_reauth": ("token-expiry-mid-session", "same-client-id"),
    "broken_429_immediately": ("rate-limit-429-retry", "waited-30s"),
    "broken_429_forever": ("rate-limit-429-gives-up", "exactly-two-attempts"),
    "broken_show_tool_calls": ("long-generation-heartbeats", "no-tool-calls-shown"),
    "broken_402_as_credits": ("export-402-blocked", "not-credits"),
}
ROWS = sorted(set(BROKEN.values()))
SCENARIOS = sorted({s for s, _ in ROWS})


def command(name: str) -> CommandAdapter:
    return CommandAdapter(f"{sys.executable} {HERE / name}.py")


@pytest.mark.live
@pytest.mark.parametrize(
    ("client", "target"), [pytest.param(k, v, id=k) for k, v in BROKEN.items()]
)
def test_broken_client_fails_its_must(client, target):
    """A client that breaks one documented rule fails the MUST row that checks that rule."""
    scenario, expectation = target
    result = run_scenario(LIBRARY[scenario], command(client), "body")
    assert expectation in result.failed_ids(), [(e.id, v.evidence) for e, v in result.verdicts]
    assert not result.passed


@pytest.mark.live
@pytest.mark.slow
@pytest.mark.parametrize("good", [*GOOD, "mini_ok"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_good_clients_pass_the_rows_that_catch_broken_ones(scenario, good):
    """The control: both good clients, and the minimal client without a defect, pass every row
    that catches a broken client (so the row catches the defect, not a choice).
    """
    adapter = command("mini_ok") if good == "mini_ok" else GOOD[good]()
    result = run_scenario(LIBRARY[scenario], adapter, "body")
    verdicts = {e.id: v for e, v in result.verdicts}
    for _scenario, row in (r for r in ROWS if r[0] == scenario):
        assert verdicts[row].passed, (row, verdicts[row].evidence)


def test_every_catching_row_is_a_must():
    """Power counts only with verdicts: each broken client is caught by a MUST row."""
    for scenario, row in ROWS:
        (exp,) = [e for e in LIBRARY[scenario].expect if e.id == row]
        assert exp.must, (scenario, row)


def test_every_broken_client_is_named_in_the_table():
    """Issue 13: each shipped broken client names the row that catches it (hangs: the deadline)."""
    shipped = {p.stem for p in HERE.glob("broken_*.py")} - {"broken_hangs"}
    assert shipped == set(BROKEN)
    assert len(BROKEN) >= 15


@pytest.mark.live
def test_strict_variant_catches_a_client_that_reads_only_the_envelope():
    """v1.9 §3.5 'Status at top-level `status`': mini_ok reads the render job from the envelope's
    `data` only, so it fails happy-generate-export under --variant strict (the reference client
    passes it: test_scenario_library)."""
    result = run_scenario(LIBRARY["happy-generate-export"], command("mini_ok"), "strict")
    assert not result.passed
