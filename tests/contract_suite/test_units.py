"""The suite's own parts, without a server: capabilities, levels, reports, SSE parsing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import nemo_mock.contract_suite as suite
from nemo_mock.contract_suite import Capabilities, Result
from nemo_mock.contract_suite.capabilities import CapabilityError
from nemo_mock.contract_suite.citations import assumption, seeds
from nemo_mock.contract_suite.registry import ERROR, FAIL, MUST, NA, PASS, SHOULD, check
from nemo_mock.contract_suite.report import as_json, counts, write_junit
from nemo_mock.contract_suite.runner import exit_status, load
from nemo_mock.contract_suite.sse_read import Stream, parse_block
from tests.conftest import SHARED

DOCS = [
    *sorted((SHARED / "seeds").glob("*.txt")),
    SHARED / "sources" / "v1.9-SKILL.md",
]


def _result(level: str, verdict: str) -> Result:
    return Result("x.y", level, "rule", [], verdict)


def test_a_flag_overrides_a_discovered_capability() -> None:
    """Flags win over discovery: a value replaces, `=false` removes."""
    found = Capabilities(
        frozenset({"control_plane", "virtual_clock"}),
        error_status="body",
        origin={"control_plane": "d", "virtual_clock": "d", "error_status": "d"},
    )
    declared = Capabilities.parse(["error_status=http", "virtual_clock=false"])
    caps = found.merged(declared)
    assert caps.error_status == "http"
    assert caps.has("control_plane") and not caps.has("virtual_clock")


def test_an_unknown_capability_is_a_usage_error() -> None:
    """A misspelt capability is refused, naming the known ones."""
    with pytest.raises(CapabilityError, match="known: control_plane"):
        Capabilities.parse(["control_plan"])


def test_a_capabilities_file_is_read(tmp_path: Path) -> None:
    """A YAML mapping declares capabilities like the flags do."""
    f = tmp_path / "caps.yaml"
    f.write_text("capabilities:\n  control_plane: true\n  heartbeat_interval: 15\n")
    caps = Capabilities.parse([], str(f))
    assert caps.has("control_plane") and caps.heartbeat_interval == 15.0


def test_a_must_resting_only_on_an_assumption_is_refused() -> None:
    """An ASSUMPTION is at most a SHOULD."""
    with pytest.raises(ValueError, match="make it a SHOULD"):
        check("test.assumed", MUST, cites=(assumption("we chose 404"),))


def test_every_must_cites_a_binding_sentence() -> None:
    """Each registered MUST quotes the seeds, v1.9 or the target's declaration."""
    for spec in load().values():
        assert spec.cites, spec.id
        if spec.level == MUST:
            assert any(c.source in ("seeds", "v1.9", "declared") for c in spec.cites), spec.id


@pytest.mark.skipif(
    not all(p.exists() for p in DOCS), reason=f"needs the seeds in {SHARED} (set NEMO_SHARED_DIR)"
)
def test_every_quoted_sentence_is_in_the_documents() -> None:
    """A quote from the seeds or v1.9 appears there word for word (whitespace aside)."""
    text = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in DOCS)
    for spec in load().values():
        for cite in spec.cites:
            if cite.source in ("seeds", "v1.9"):
                assert " ".join(cite.text.split()) in text, (spec.id, cite.text)


@pytest.mark.parametrize(
    ("results", "strict", "status"),
    [
        pytest.param([(MUST, PASS), (SHOULD, FAIL)], False, 0, id="should-fail-is-not-fatal"),
        pytest.param([(MUST, PASS), (MUST, ERROR)], False, 1, id="must-error-fails"),
        pytest.param([(MUST, FAIL)], False, 1, id="must-fail-fails"),
        pytest.param([(MUST, NA)], False, 0, id="must-na-passes"),
        pytest.param([(MUST, NA)], True, 1, id="must-na-fails-when-strict"),
        pytest.param([(SHOULD, NA)], True, 0, id="should-na-passes-when-strict"),
    ],
)
def test_exit_status(results: list[tuple[str, str]], strict: bool, status: int) -> None:
    """0 exactly when every MUST passed (or was n/a without --strict)."""
    assert exit_status([_result(lv, v) for lv, v in results], strict=strict) == status


def test_the_json_report_counts_every_verdict_per_level() -> None:
    """The JSON report is plain data with counts per level and verdict (zeros included)."""
    doc = as_json([_result(MUST, PASS), _result(MUST, ERROR)], {"target": "u"}, 1)
    json.dumps(doc, allow_nan=False)
    assert doc["counts"][MUST] == {PASS: 1, FAIL: 0, ERROR: 1, NA: 0}
    assert counts([])[SHOULD][PASS] == 0


def test_junit_marks_must_failures_and_errors(tmp_path: Path) -> None:
    """A MUST failure is a <failure>, an error an <error>, a failed SHOULD a <skipped>."""
    path = tmp_path / "r.xml"
    write_junit(
        str(path),
        [_result(MUST, FAIL), _result(MUST, ERROR), _result(SHOULD, FAIL)],
        "http://127.0.0.1:1",
    )
    cases = ET.parse(path).getroot().findall("testcase")
    assert [c[1].tag for c in cases] == ["failure", "error", "skipped"]


@pytest.mark.parametrize(
    ("block", "kind"),
    [
        pytest.param(b": heartbeat", "heartbeat", id="comment"),
        pytest.param(b": ping 42", "heartbeat", id="comment-any-text"),
        pytest.param(b":", "heartbeat", id="bare-colon"),
        pytest.param(b"data:", "heartbeat", id="empty-data"),
        pytest.param(b"data: ", "heartbeat", id="empty-data-space"),
        pytest.param(b"event: heartbeat\ndata: {}", "heartbeat", id="heartbeat-event"),
        pytest.param(b'data: {"id":"e1"}', "event", id="json-event"),
        pytest.param(b'data:{"id":"e1"}\r', "event", id="json-event-no-space-crlf"),
        pytest.param(b"data: [DONE]", "bad", id="done-frame"),
        pytest.param(b"data: 42", "bad", id="json-but-not-an-object"),
    ],
)
def test_sse_blocks_are_read_as_the_specification_allows(block: bytes, kind: str) -> None:
    """Every heartbeat form is a heartbeat; data must be empty or a JSON object."""
    out = Stream(200, "text/event-stream")
    parse_block(out, block, 0.0)
    assert [i.kind for i in out.items] == [kind]


def test_sse_quirks_are_recorded_not_fatal() -> None:
    """`event:`/`id:` lines and CR are allowed by SSE; they are noted for the ADK SHOULD."""
    out = Stream(200, "text/event-stream")
    parse_block(out, b'event: message\r\nid: 7\r\ndata: {"a":1}', 0.0)
    assert [i.kind for i in out.items] == ["event"]
    assert len(out.quirks) == 3


def test_seed_quotes_bind_and_assumptions_do_not() -> None:
    """Only seeds, v1.9 and a target's declaration can carry a MUST."""
    assert seeds("x").binding and not assumption("x").binding


def test_the_readme_lists_every_check_with_its_level() -> None:
    """The suite's README table names each behavioural check at its registered level."""
    readme = Path(suite.__file__).with_name("README.md").read_text(encoding="utf-8")
    for spec in load().values():
        if not spec.id.startswith("schema.") or "[" not in spec.id:
            assert f"| `{spec.id}` | {spec.level} |" in readme, spec.id
