"""The checks that let an expectation accept every faithful reading: phrase sets, negation-aware
`not_contains`, per-field counts, refused-before-stream is no send, and stdout-only secrets.
"""

from __future__ import annotations

from typing import Any

import pytest

from nemo_mock.scenarios import Expectation, RunRecord, StepRecord, evaluate


def entry(seq: int, method: str, path: str, **extra: Any) -> dict[str, Any]:
    base = {"seq": seq, "method": method, "path": path, "vtime": float(seq), "status": 200}
    base.update({"code": 0, "query": "", "headers": {}})
    base.update(extra)
    return base


def exp(**spec: Any) -> Expectation:
    return Expectation.from_dict({"id": "e", "level": "MUST", "rule": "seeds §x: y", **spec})


def run(
    journal: list[dict[str, Any]] | None = None, output: str = "", stderr: str = ""
) -> RunRecord:
    step = StepRecord("s1", "say", "say x", output=output, stderr=stderr, exit_code=0, seq_to=99)
    return RunRecord(steps=[step], journal=journal or [], secrets={"nmv_usr_abcdef123456"})


NOT_CREDITS = exp(output={"not_contains": ["credits", "积分"]})


@pytest.mark.parametrize(
    "text",
    [
        "Register at nemovideo.com to unlock export. (This is not a credits problem.)",
        "Export needs a paid plan; it isn't about credits.",
        "导出需要升级套餐，这不是积分问题。",
        "Your credits are not the issue here: upgrade your plan.",
        "Exporting is unrelated to credits.",
    ],
)
def test_not_contains_ignores_a_denied_phrase(text):
    """Seeds 402: "Subscription tier issue, NOT credits" — saying so in words is faithful."""
    assert evaluate(NOT_CREDITS, run(output=text)).passed


@pytest.mark.parametrize(
    "text",
    [
        "You are out of credits. Buy credits to export.",
        "You don't have enough credits to export.",
        "You have no credits left.",
        "积分不足，请充值。",
        "This is not going to work: your credits ran out.",
    ],
)
def test_not_contains_still_catches_an_affirmed_phrase(text):
    """Seeds 402: a message that blames credits fails, even with a negation elsewhere."""
    verdict = evaluate(NOT_CREDITS, run(output=text))
    assert not verdict.passed and "shows" in verdict.evidence


def test_negation_false_matches_literally():
    """`negation: false`: the phrase fails wherever it appears (e.g. tool names)."""
    spec = exp(output={"not_contains": ["generate_video"], "negation": False})
    assert not evaluate(spec, run(output="not generate_video")).passed


def test_contains_any_accepts_either_language():
    """A phrase set: one phrase of the set, in English or Chinese, is enough."""
    spec = exp(output={"contains_any": ["compress", "压缩"]})
    assert evaluate(spec, run(output="文件太大，请压缩后再上传。")).passed
    assert not evaluate(spec, run(output="That file is too big.")).passed


def test_contains_groups_needs_one_phrase_of_each_group():
    """`contains_groups`: every group must be met by one of its phrases."""
    spec = exp(output={"contains_groups": [["register", "注册"], ["export", "导出"]]})
    assert evaluate(spec, run(output="注册后即可导出。")).passed
    verdict = evaluate(spec, run(output="Register now."))
    assert not verdict.passed and "export" in verdict.evidence


RENDER = [entry(1, "POST", "/api/render/proxy/lambda")]


def polls(rid: str, n: int, start: int) -> list[dict[str, Any]]:
    return [entry(start + i, "GET", f"/api/render/proxy/lambda/{rid}") for i in range(n)]


PER_ID = exp(
    request={"method": "GET", "path": "/api/render/proxy/lambda/*"},
    count={"min": 1, "max": 10},
    per="path",
)


def test_per_path_accepts_ten_polls_for_each_of_two_ids():
    """v1.9 §3.5: max 10 polls, and on failure a new id: 10 + 10 polls over two ids pass."""
    journal = RENDER + polls("render_1", 10, 2) + polls("render_2", 10, 20)
    verdict = evaluate(PER_ID, run(journal))
    assert verdict.passed, verdict.evidence


def test_per_path_catches_eleven_polls_of_one_id():
    """v1.9 §3.5: an 11th poll of the same render id fails."""
    verdict = evaluate(PER_ID, run(RENDER + polls("render_1", 11, 2)))
    assert not verdict.passed and "render_1: 11" in verdict.evidence


def test_per_path_with_no_match_fails_when_a_minimum_is_set():
    """A per-field count with min ≥ 1 and nothing to count fails."""
    assert not evaluate(PER_ID, run(RENDER)).passed


SSE = {"method": "POST", "path": "/run_sse"}


def sse(seq: int, text: str, **extra: Any) -> dict[str, Any]:
    body = {"new_message": {"parts": [{"text": text}]}}
    return entry(seq, "POST", "/run_sse", body=body, **extra)


def test_a_refused_before_stream_request_is_not_a_send():
    """Seeds 1002 → new session: re-sending a message the old session refused is no re-send."""
    journal = [
        sse(1, "add music", code=1002, status=200, content_type="application/json"),
        entry(2, "POST", "/api/tasks/me/with-session/nemo_agent"),
        sse(3, "add music", content_type="text/event-stream; charset=utf-8"),
    ]
    assert evaluate(exp(sent_once=SSE), run(journal)).passed


@pytest.mark.parametrize(
    "first",
    [
        {"content_type": "text/event-stream; charset=utf-8"},
        {"dropped": True, "code": None, "status": None},
    ],
    ids=["streamed", "dropped"],
)
def test_a_streamed_or_dropped_request_is_a_send(first):
    """v1.9 §3.6: Don't re-send — after a stream (or a dropped connection) it counts."""
    journal = [sse(1, "add music", **first), sse(2, "add music", content_type="text/event-stream")]
    verdict = evaluate(exp(sent_once=SSE), run(journal))
    assert not verdict.passed and "sent 2×" in verdict.evidence


def test_secrets_output_reads_stdout_only():
    """Protocol §5: stderr is not the chat, so `output` ignores it; `stderr` checks it."""
    record = run(output="ready", stderr="debug token nmv_usr_abcdef123456")
    assert evaluate(exp(secrets={"output": True}), record).passed
    assert not evaluate(exp(secrets={"stderr": True}), record).passed


def test_path_lists_and_header_globs_match():
    """Matchers: `path_not` takes a list of globs; a header value may be a glob."""
    journal = [
        entry(
            1, "POST", "/api/upload", headers={"content-type": "application/json; charset=utf-8"}
        ),
        entry(2, "GET", "/media/renders/x.mp4", headers={}),
    ]
    headers = exp(headers={"names": ["content-type"], "where": {"path_not": ["/media/*", "/x"]}})
    assert evaluate(headers, run(journal)).passed
    json_upload = exp(request={"path": "/api/*", "header": {"content-type": "application/json*"}})
    assert evaluate(json_upload, run(journal)).passed
