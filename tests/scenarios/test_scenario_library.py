"""The whole library passes with the reference client, under both error_status modes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nemo_mock.scenarios import ReferenceAdapter, load_library, run_scenario
from nemo_mock.scenarios._audit import audit_table
from tests.conftest import SHARED

LIBRARY = load_library()
SEEDS = SHARED / "seeds"
V19 = SHARED / "sources"
PROTOCOL = Path(__file__).resolve().parents[2] / "scenarios" / "README.md"
RUNS = [pytest.param(s, v, id=f"{s.name}[{v}]") for s in LIBRARY for v in s.variants("all")]


@pytest.mark.live
@pytest.mark.parametrize(("scenario", "variant"), RUNS)
def test_reference_client_passes_every_must(scenario, variant):
    """DESIGN §8: the reference client does everything the seeds ask, so it fails no MUST."""
    result = run_scenario(scenario, ReferenceAdapter(), variant)
    assert not result.error, result.error
    failed = [f"{e.id}: {v.evidence}" for e, v in result.must_failures]
    outputs = "\n".join(f"[{s.id}] exit={s.exit_code} {s.output!r}" for s in result.steps)
    assert not failed, "\n".join(failed) + "\n" + outputs


def test_library_covers_the_documented_behaviours():
    """The issue's list: every named behaviour has a scenario."""
    names = {s.name for s in LIBRARY}
    for needed in (
        "happy-generate-export",
        "upload-file",
        "upload-url",
        "upload-4001-unsupported",
        "upload-4002-small-profile",
        "silent-close-after-edit",
        "long-generation-heartbeats",
        "heartbeat-only-timeout",
        "dropped-stream-no-resend",
        "token-expiry-mid-session",
        "session-gone-1002",
        "no-credits-anonymous-2001",
        "no-credits-registered-2001",
        "rate-limit-429-retry",
        "missing-client-id-400",
        "export-402-blocked",
        "render-failure-retry",
        "render-polling",
        "gui-translation-en",
        "gui-translation-zh",
        "trailing-temporary-issue",
    ):
        assert needed in names


def test_every_scenario_has_a_must_and_a_cited_rule():
    """Each expectation is tagged and cites its source; each scenario has at least one MUST."""
    for s in LIBRARY:
        assert any(e.must for e in s.expect), s.name
        for e in s.expect:
            assert re.match(r"^(seeds|v1\.9|protocol|ASSUMPTION)\b", e.rule), (s.name, e.id)


def test_a_must_cites_a_seed_v19_or_the_protocol_and_names_its_readings():
    """DESIGN §8: a MUST cites a sentence of the seeds, of v1.9 or of the adapter protocol and
    accepts every reading that sentence allows; an ASSUMPTION is at most a SHOULD.
    """
    for s in LIBRARY:
        for e in s.expect:
            if e.must:
                assert re.match(r"^(seeds|v1\.9|protocol) §[^:]+: \S", e.rule), (s.name, e.id)
                assert e.readings, (s.name, e.id)
            assert not (e.must and e.rule.startswith("ASSUMPTION")), (s.name, e.id)


def _norm(text: str) -> str:
    """Whitespace, markdown emphasis and code marks aside, case-folded."""
    return re.sub(r"[\s*`]+", "", text).lower()


SOURCES = {
    "seeds": lambda: "".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("0*.txt")),
    "v1.9": lambda: (V19 / "v1.9-SKILL.md").read_text(encoding="utf-8"),
    "protocol": lambda: PROTOCOL.read_text(encoding="utf-8").split("## How a run works")[0],
}


@pytest.mark.skipif(
    not (SEEDS.is_dir() and V19.is_dir()),
    reason=f"the seeds are not in {SHARED} (set NEMO_SHARED_DIR)",
)
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_citations_quote_their_source(source):
    """A rule `<source> §X: <text>` quotes text that is really in that source (each piece of a
    quote joined by ` … `), whitespace and markdown aside.
    """
    corpus = _norm(SOURCES[source]())
    cited = 0
    for s in LIBRARY:
        for e in s.expect:
            if e.rule.startswith(source + " "):
                quote = e.rule.split(": ", 1)[1]
                for piece in quote.split(" … "):
                    assert _norm(piece) in corpus, (s.name, e.id, piece)
                cited += 1
    assert cited, f"no rule cites {source}"


def test_readme_audit_table_is_the_library():
    """Issue 13: the audit (expectation → rule → readings) is published in scenarios/README.md."""
    text = PROTOCOL.read_text(encoding="utf-8")
    published = text.split("<!-- audit:start -->\n", 1)[1].split("\n<!-- audit:end -->", 1)[0]
    assert published == audit_table(LIBRARY), "run `nemo-mock scenarios audit` into the README"


def test_codes_matter_scenarios_run_under_both_modes():
    """Issue: both error_status modes wherever codes matter."""
    for s in LIBRARY:
        assert s.variants("all") == (
            ["body", "http", "strict"] if s.codes_matter else ["body", "strict"]
        )
    assert sum(s.codes_matter for s in LIBRARY) >= 10
