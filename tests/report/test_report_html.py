"""The HTML report (nemo_mock.report) on hand-written runs: what it draws and never shows."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nemo_mock.report as report
from nemo_mock.report import _axis, contract_report, render
from nemo_mock.server.journal import fingerprint as journal_fingerprint

TOKEN = "nmv_usr_SeCrEt0123456789abcdef"
CLAIM = "clm_AbCdEf0123456789"
T0 = 1_800_000_000.0


def fp(secret: str) -> str:
    """The journal's fingerprint, computed here from its definition (tok_ + 10 hex of SHA-256)."""
    return "tok_" + hashlib.sha256(secret.encode()).hexdigest()[:10]


def entry(seq: int, t: float, method: str, path: str, **extra: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "vtime": T0 + t,
        "vtime_end": T0 + t,
        "method": method,
        "path": path,
        "status": 200,
        "code": 0,
        "content_type": "application/json",
        **extra,
    }


def silent_turn(seq: int, t: float) -> dict[str, Any]:
    """An edit turn that closed silently: tool call, tool result (state v4), heartbeats, close."""
    events = [
        {"t": T0 + t + 5, "kind": "heartbeat"},
        {"t": T0 + t + 8, "kind": "tool_call", "name": "add_bgm"},
        {"t": T0 + t + 9, "kind": "tool_result", "name": "add_bgm", "version": 4},
        {"t": T0 + t + 10, "kind": "heartbeat"},
    ]
    turn = {
        "kind": "edit",
        "events": events,
        "silent": True,
        "stream_end": "closed",
        "vstream_end": T0 + t + 20,
        "frames": {"text": 0, "tool_call": 1, "tool_result": 1, "heartbeat": 2, "error": 0},
    }
    return entry(
        seq,
        t,
        "POST",
        "/run_sse",
        code=None,
        content_type="text/event-stream",
        turn=turn,
        vtime_end=T0 + t + 20,
    )


def failing_run() -> dict[str, Any]:
    """A client that re-sent the edit after a silent close, then polled the state."""
    return {
        "id": "silent-close-after-edit[body]",
        "client": "broken",
        "variant": "body",
        "passed": False,
        "steps": [
            {
                "id": "edit",
                "kind": "say",
                "label": "say 'add music'",
                "seq_from": 0,
                "seq_to": 4,
                "exit_code": 0,
                "output": f"done, token {TOKEN}, link /workspace/claim?ct={CLAIM}",
            }
        ],
        "exchanges": [
            silent_turn(1, 0),
            silent_turn(2, 30),
            entry(3, 60, "GET", "/api/state/nemo_agent/me/s1/latest", state_version=5),
            entry(
                4,
                61,
                "GET",
                "/api/render/proxy/lambda/r1",
                render_status="processing",
                body={"note": f"Bearer {TOKEN}"},
                query=f"ct={CLAIM}",
            ),
            entry(
                5,
                62,
                "POST",
                "/api/render/proxy/lambda",
                status=None,
                code=None,
                dropped=True,
                faults=[{"rule": "f1", "n": 1, "type": "drop"}],
            ),
        ],
        "expectations": [
            {"id": "state-polled", "level": "MUST", "passed": True, "evidence": "#1 < #3"},
            {
                "id": "nothing-re-sent",
                "level": "MUST",
                "passed": False,
                "evidence": f"re-sent: #1, #2 (client printed {TOKEN})",
            },
            {"id": "summary", "level": "SHOULD", "passed": False, "evidence": "no summary"},
        ],
    }


def passing_run() -> dict[str, Any]:
    return {
        "id": "happy[body]",
        "passed": True,
        "steps": [],
        "exchanges": [entry(1, 0, "GET", "/x")],
        "expectations": [{"id": "ok", "level": "MUST", "passed": True, "evidence": "#1"}],
    }


class Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def having(self, cls: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for _, a in self.tags
            if cls in a.get("class", "").split()
            and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def parse(html: str) -> Elements:
    p = Elements()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def page() -> str:
    return render({"title": "t", "runs": [passing_run(), failing_run()]}, secrets=[TOKEN])


def test_report_all_is_sorted_and_importable():
    """House style: a package's __all__ is short, sorted and every name exists."""
    assert report.__all__ == sorted(report.__all__)
    assert all(hasattr(report, n) for n in report.__all__)


def test_page_references_no_external_url(page: str):
    """Issue 17: one self-contained file; no external URL is referenced at all."""
    assert not re.search(r"(?i)https?:|//[a-z0-9]|@import|url\((?!#)", page)
    for _, attrs in parse(page).tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith(("#", "data:")), (name, value)


def test_token_values_never_appear_only_fingerprints(page: str):
    """DESIGN §3.2/§4: tokens never appear in clear; the journal's fingerprint stands for them."""
    assert fp(TOKEN) == journal_fingerprint(TOKEN)  # the same name as in the journal
    assert TOKEN not in page and CLAIM not in page
    assert fp(TOKEN) in page and fp(CLAIM) in page


def test_token_shaped_strings_are_redacted_without_being_told_the_secret():
    """A token the producer did not list is still recognised by its shape (nmv_usr_…)."""
    html = render({"runs": [failing_run()]})
    assert TOKEN not in html and fp(TOKEN) in html


def test_failing_runs_come_first_in_summary_and_sections(page: str):
    """Issue 17: failing rows first."""
    sections = [a["data-run"] for tag, a in parse(page).tags if tag == "section"]
    assert sections == ["silent-close-after-edit[body]", "happy[body]"]


def test_failing_expectations_come_first_in_a_run(page: str):
    """Issue 17: failing rows first (MUST failures, then SHOULD warnings, then passes)."""
    rows = [a["data-id"] for a in parse(page).having("expectation")]
    assert rows[:3] == ["nothing-re-sent", "summary", "state-polled"]


def test_summary_counts_must_and_should_per_run(page: str):
    """Issue 17: a summary of MUST/SHOULD pass/fail per scenario and variant."""
    row = re.search(r"silent-close-after-edit\[body\]</a></td><td>body</td>(.*?)</tr>", page)
    assert row is not None
    cells = re.findall(r"<td>(\d+)</td>", row.group(1))
    assert cells == ["1", "1", "0", "1", "0"]  # MUST pass/fail, SHOULD pass/fail, n/a


def test_silent_close_is_drawn_at_the_end_of_the_stream(page: str):
    """Seeds §SSE: a stream that closes without text is shown as a silent close."""
    doc = parse(page)
    assert len(doc.having("sse", data_end="silent")) == 2
    assert "silent close" in page


def test_sse_frames_are_drawn_by_kind(page: str):
    """Issue 17: SSE frames by kind along the stream (heartbeats, functionCall/Response)."""
    doc = parse(page)
    assert len(doc.having("frame-heartbeat", data_kind="heartbeat")) == 4
    assert len(doc.having("frame-tool_call", data_kind="tool_call")) == 2
    assert len(doc.having("frame-tool_result", data_kind="tool_result")) == 2
    assert "functionResponse add_bgm → state v4" in page


def test_state_version_and_render_status_are_on_the_answers(page: str):
    """Issue 17: state versions and render statuses appear on the diagram."""
    assert "state v5" in page and "render processing" in page


def test_dropped_connection_and_its_fault_are_drawn(page: str):
    """DESIGN §5: a dropped connection (fault `drop`) shows as such, with the rule that fired."""
    doc = parse(page)
    assert doc.having("dropped", data_seq="5")
    assert "connection dropped" in page and "fault drop (rule f1)" in page


def test_failed_expectation_evidence_is_highlighted_on_its_exchanges(page: str):
    """Issue 17: each expectation's evidence is highlighted on the diagram."""
    doc = parse(page)
    failed = {a["data-seq"] for a in doc.having("evidence-fail")}
    passed = {a["data-seq"] for a in doc.having("evidence-pass")}
    assert failed == {"1", "2"}  # #1 is named by a passing one too: the failure wins
    assert "3" in passed
    assert doc.having("evidence-fail", data_seq="2")[0]["data-expectations"] == "nothing-re-sent"


def test_truncated_stream_is_drawn_as_cut():
    """DESIGN §5: an SSE truncation mid-frame is shown as a cut stream."""
    turn = silent_turn(1, 0)
    turn["turn"].update(silent=False, stream_end="truncated")
    html = render({"runs": [{"id": "r", "passed": True, "exchanges": [turn], "expectations": []}]})
    assert parse(html).having("sse", data_end="truncated") and "truncated" in html


def test_axis_compresses_long_gaps_and_names_them():
    """A 7-day gap does not make the page 7 days tall: it is capped and labelled."""
    axis, ys = _axis.build([(0.0, 10.0), (5.0, 10.0), (604_805.0, 10.0)])
    assert ys[1] - ys[0] == pytest.approx(max(10.0, 5 * _axis.PX_PER_SECOND))
    assert ys[2] - ys[1] == pytest.approx(_axis.CAP)
    assert [round(b[2]) for b in axis.breaks] == [604_800]
    assert _axis.duration(604_800) == "7d 0h"


def test_contract_checks_render_with_not_applicable():
    """DESIGN §9: contract results (pass, fail, not applicable) render in the same page."""
    data = contract_report(
        [
            {"id": "sse-framing", "level": "MUST", "status": "pass", "evidence": "ok"},
            {"id": "clock-advance", "level": "MUST", "status": "n/a", "evidence": "no clock"},
            {
                "id": "error-1001",
                "level": "MUST",
                "status": "fail",
                "evidence": "got 500 (#2)",
                "seqs": [2],
            },
        ],
        target="http://127.0.0.1:9",
        exchanges=[entry(2, 0, "GET", "/api/credits/balance/simple", status=500, code=500)],
    )
    html = render(data)
    doc = parse(html)
    statuses = {a["data-id"]: a["data-status"] for a in doc.having("expectation")}
    assert statuses == {"sse-framing": "pass", "clock-advance": "n/a", "error-1001": "fail"}
    assert doc.having("evidence-fail", data_seq="2")
    assert data["runs"][0]["passed"] is False


def test_contract_json_results_render_with_error_as_failure():
    """DESIGN §9: a check that could not get what it needed failed; n/a is not a pass."""
    doc = {
        "format": "nemo-mock-contract/1",
        "results": [
            {
                "id": "a",
                "level": "MUST",
                "rule": "r",
                "verdict": "error",
                "reason": "no token",
                "evidence": ["POST /api/auth/anonymous-token -> HTTP 500"],
            },
            {
                "id": "b",
                "level": "SHOULD",
                "rule": "r",
                "verdict": "not applicable",
                "reason": "no clock",
                "evidence": [],
            },
            {"id": "c", "level": "MUST", "rule": "r", "verdict": "pass", "evidence": []},
        ],
    }
    html = render(contract_report(doc["results"], target="http://127.0.0.1:9"))
    statuses = {a["data-id"]: a["data-status"] for a in parse(html).having("expectation")}
    assert statuses == {"a": "fail", "b": "n/a", "c": "pass"}
    assert "POST /api/auth/anonymous-token -&gt; HTTP 500" in html


def test_frames_after_a_cut_are_not_drawn_as_delivered():
    """DESIGN §3.4: the turn runs on after the client is cut off; its later frames never arrive."""
    turn = silent_turn(1, 0)
    turn["turn"].update(silent=False, stream_end="truncated", vstream_end=T0 + 8.5)
    html = render({"runs": [{"id": "r", "passed": True, "exchanges": [turn], "expectations": []}]})
    doc = parse(html)
    assert len(doc.having("frame-tool_call")) == 1  # at 8 s, before the cut at 8.5 s
    assert not doc.having("frame-tool_result")  # at 9 s: produced, never delivered
    assert "2 frame(s) not delivered, state v4" in html


_text = st.text(max_size=12)
_entry = st.fixed_dictionaries(
    {"seq": st.integers(1, 500), "method": st.sampled_from(["GET", "POST"]), "path": _text},
    optional={
        "vtime": st.floats(0, 1e7, allow_nan=False),
        "vtime_end": st.floats(0, 1e7, allow_nan=False),
        "status": st.one_of(st.none(), st.integers(100, 599)),
        "code": st.one_of(st.none(), st.integers(0, 5000)),
        "dropped": st.booleans(),
        "faults": st.lists(st.fixed_dictionaries({"type": _text}), max_size=2),
        "state_version": st.integers(0, 99),
        "turn": st.fixed_dictionaries(
            {
                "events": st.lists(
                    st.fixed_dictionaries({"t": st.floats(0, 1e7, allow_nan=False), "kind": _text}),
                    max_size=6,
                )
            },
            optional={
                "stream_end": st.sampled_from(["closed", "truncated", "client_gone"]),
                "vstream_end": st.floats(0, 1e7, allow_nan=False),
                "silent": st.booleans(),
            },
        ),
    },
)


@given(st.lists(_entry, max_size=8), st.lists(_text, max_size=3))
def test_any_journal_renders_and_escapes_what_it_shows(exchanges, evidence):
    """Bad input never breaks the page: any journal renders; text is escaped, never markup."""
    run = {
        "id": "<r>",
        "exchanges": exchanges,
        "steps": [{"id": "s", "kind": "say", "label": "<b>", "seq_from": 0, "seq_to": 9}],
        "expectations": [
            {"id": f"e{i}", "level": "MUST", "passed": False, "evidence": ev}
            for i, ev in enumerate(evidence)
        ],
    }
    html = render({"title": "<script>", "runs": [run]})
    assert "<script>" not in html.split("<style>", 1)[0]
    assert "<b>" not in html and 'data-run="&lt;r&gt;"' in html


def test_failed_output_check_is_flagged_on_its_step(page: str):
    """Issue 17: a failure with no journal evidence (what the client printed) shows on its step
    (amber: only a SHOULD failed there)."""
    steps = parse(page).having("step-warn")
    assert [(a["data-step"], a["data-expectations"]) for a in steps] == [("edit", "summary")]
    assert not parse(page).having("step-fail")


def test_a_failed_should_alone_shades_its_evidence_amber():
    """Issue 17: MUST and SHOULD failures are told apart on the diagram."""
    run = failing_run()
    run["expectations"] = [
        {"id": "pace", "level": "SHOULD", "passed": False, "evidence": "#3 too soon"}
    ]
    doc = parse(render({"runs": [run]}))
    assert [a["data-seq"] for a in doc.having("evidence-warn")] == ["3"]
    assert not doc.having("evidence-fail")
