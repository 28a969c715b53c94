"""The checks, on hand-written journals: each one can pass and each one can fail."""

from __future__ import annotations

from typing import Any

from nemo_mock.scenarios import Expectation, RunRecord, StepRecord, evaluate


def entry(seq: int, method: str, path: str, vtime: float, **extra: Any) -> dict[str, Any]:
    base = {
        "seq": seq,
        "method": method,
        "path": path,
        "vtime": vtime,
        "vtime_end": vtime + 0.5,
        "status": 200,
        "code": 0,
        "query": "",
        "headers": {"x-skill-source": "s"},
    }
    base.update(extra)
    return base


def exp(**spec: Any) -> Expectation:
    return Expectation.from_dict({"id": "e", "level": "MUST", "rule": "seeds §x: y", **spec})


def run(
    journal: list[dict[str, Any]], output: str = "", exit_code: int | None = 0, **kw: Any
) -> RunRecord:
    steps = [
        StepRecord("s1", "say", "say x", output=output, exit_code=exit_code, seq_from=0, seq_to=100)
    ]
    return RunRecord(steps=steps, journal=journal, **kw)


POLLS = [entry(1, "POST", "/api/render/proxy/lambda", 0.0)] + [
    entry(i + 2, "GET", "/api/render/proxy/lambda/r1", 30.5 * (i + 1)) for i in range(3)
]


def test_count_passes_and_fails():
    """`request` + `count` counts matching journal entries."""
    r = run(POLLS)
    assert evaluate(
        exp(request={"method": "GET", "path": "/api/render/proxy/lambda/*"}, count=3), r
    ).passed
    v = evaluate(
        exp(request={"method": "GET", "path": "/api/render/proxy/lambda/*"}, count={"max": 2}), r
    )
    assert not v.passed and "got 3" in v.evidence


def test_spacing_catches_fast_polling():
    """Render polls closer than 30 virtual seconds fail `spacing.min`."""
    spec = {"requests": {"method": "GET", "path": "/api/render/proxy/lambda/*"}, "min": 29}
    assert evaluate(exp(spacing=spec), run(POLLS)).passed
    fast = [entry(i + 1, "GET", "/api/render/proxy/lambda/r1", 1.0 * i) for i in range(4)]
    v = evaluate(exp(spacing=spec), run(fast))
    assert not v.passed and "gap 1 is 1.0s" in v.evidence


def test_spacing_from_an_anchor_with_a_schedule():
    """`from` anchors the first gap at the end of another exchange; `schedule` repeats its last
    gap.
    """
    j = [
        entry(1, "GET", "/api/state/x", 0.0),
        entry(2, "POST", "/run_sse", 1.0),
        entry(3, "GET", "/api/state/x", 31.5),
        entry(4, "GET", "/api/state/x", 92.0),
    ]
    spec = {
        "requests": {"path": "/api/state/*"},
        "from": {"path": "/run_sse"},
        "schedule": [30, 60],
        "tolerance": 2,
    }
    assert evaluate(exp(spacing=spec), run(j)).passed
    spec["schedule"] = [60]
    assert not evaluate(exp(spacing=spec), run(j)).passed


def test_gap_after_429():
    """`gap` measures from each `from` entry to the next `to` entry."""
    j = [
        entry(1, "POST", "/api/auth/anonymous-token", 0.0, code=429),
        entry(2, "POST", "/api/auth/anonymous-token", 5.0),
    ]
    spec = {"from": {"code": 429}, "to": {"path": "/api/auth/anonymous-token"}, "min": 29}
    v = evaluate(exp(gap=spec), run(j))
    assert not v.passed and "5.0s" in v.evidence


def test_sent_once_catches_a_resend():
    """The same /run_sse text twice is a re-send."""
    body = {"new_message": {"parts": [{"text": "add music"}]}}
    j = [entry(1, "POST", "/run_sse", 0.0, body=body), entry(2, "POST", "/run_sse", 9.0, body=body)]
    v = evaluate(exp(sent_once={"path": "/run_sse"}), run(j))
    assert not v.passed and "sent 2×" in v.evidence
    assert evaluate(exp(sent_once={"path": "/run_sse"}), run(j[:1])).passed


def test_headers_and_same_header():
    """Every matching request carries the headers; a header keeps one value."""
    j = [
        entry(1, "POST", "/a", 0.0, headers={"x-client-id": "c1"}),
        entry(2, "POST", "/a", 1.0, headers={"x-client-id": "c2"}),
    ]
    assert evaluate(exp(headers={"names": ["X-Client-Id"]}), run(j)).passed
    assert not evaluate(exp(headers={"names": ["X-Skill-Source"]}), run(j)).passed
    assert not evaluate(exp(same_header={"name": "X-Client-Id"}), run(j)).passed
    assert evaluate(exp(same_header={"name": "X-Client-Id"}), run(j[:1])).passed


def test_secrets_in_output_and_urls():
    """A known token (or anything shaped like one) in the output or a URL fails."""
    clean = run([entry(1, "GET", "/a", 0.0)], output="hello", secrets={"nmv_usr_abcdef123456"})
    assert evaluate(exp(secrets={"output": True, "urls": True}), clean).passed
    leaky = run(
        [entry(1, "GET", "/a", 0.0, query="t=nmv_usr_abcdef123456")],
        output="hello",
        secrets={"nmv_usr_abcdef123456"},
    )
    assert not evaluate(exp(secrets={"urls": True}), leaky).passed
    shown = run([], output="token nmv_usr_ffffffffff")
    assert not evaluate(exp(secrets={"output": True}), shown).passed


def test_output_and_exit():
    """Output checks ignore case by default; exit checks every client step in scope."""
    r = run([], output="Please Click the Export button", exit_code=3)
    assert not evaluate(exp(output={"not_contains": "click"}), r).passed
    assert evaluate(exp(output={"contains_any": ["export", "zzz"]}), r).passed
    assert evaluate(exp(exit={"not": 0}), r).passed
    assert not evaluate(exp(exit={"in": [0, 1]}), r).passed


def test_order_and_distinct():
    """`order` is a subsequence; `distinct` wants a new value every time."""
    j = [
        entry(1, "POST", "/x", 0.0, code=1001, body={"id": "r1"}),
        entry(2, "POST", "/t", 1.0),
        entry(3, "POST", "/x", 2.0, body={"id": "r1"}),
    ]
    assert evaluate(
        exp(order=[{"code": 1001}, {"path": "/t"}, {"path": "/x", "code": 0}]), run(j)
    ).passed
    assert not evaluate(exp(order=[{"path": "/t"}, {"code": 1001}]), run(j)).passed
    assert not evaluate(exp(distinct={"field": "body.id", "where": {"path": "/x"}}), run(j)).passed


def test_scope_limits_to_a_step_window():
    """`steps:` restricts the journal to the steps' windows."""
    steps = [
        StepRecord("a", "say", "a", seq_from=0, seq_to=1),
        StepRecord("b", "say", "b", seq_from=1, seq_to=2),
    ]
    r = RunRecord(
        steps=steps, journal=[entry(1, "POST", "/run_sse", 0.0), entry(2, "GET", "/s", 1.0)]
    )
    e = Expectation.from_dict(
        {
            "id": "e",
            "level": "MUST",
            "rule": "seeds §x: y",
            "steps": "b",
            "request": {"path": "/run_sse"},
            "count": 0,
        }
    )
    assert evaluate(e, r).passed
