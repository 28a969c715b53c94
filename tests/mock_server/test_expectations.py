"""The one expectation engine: hand-written tables of (expectation, journal) → verdict."""

from __future__ import annotations

from typing import Any

import pytest

from nemo_mock.server.expectations import gap, wait_start
from nemo_mock.server.matching import MatchError
from nemo_mock.server.verify import check, parse

JSON = "application/json"
SSE = "text/event-stream; charset=utf-8"


def e(seq: int, method: str, path: str, vtime: float, **extra: Any) -> dict[str, Any]:
    """A journal entry: answered at once (JSON) unless `content_type`/`vtime_end` say more."""
    base: dict[str, Any] = {
        "seq": seq,
        "method": method,
        "path": path,
        "vtime": vtime,
        "vtime_end": vtime + 0.5,
        "status": 200,
        "code": 0,
        "content_type": JSON,
        "headers": {},
    }
    base.update(extra)
    return base


TOKEN = "/api/auth/anonymous-token"
POLL = "/api/render/proxy/lambda/render_1"
STATE = "/api/state/nemo_agent/me/s1/latest"

#: a render submitted, then polled 30 s apart (each poll answered at once)
POLLS = [e(1, "POST", "/api/render/proxy/lambda", 0.0)] + [
    e(2 + i, "GET", POLL, 30.0 * (i + 1)) for i in range(3)
]
#: a stream from 0 to 100 s, then state queries 30 and 90 s after its end
AFTER_STREAM = [
    e(1, "GET", STATE, 0.0),
    e(2, "POST", "/run_sse", 1.0, vtime_end=100.0, content_type=SSE),
    e(3, "GET", STATE, 130.0),
    e(4, "GET", STATE, 190.0),
]
#: a 429, a retry 5 s later, a new client id 40 s after that
RATE = [
    e(1, "POST", TOKEN, 0.0, status=429, code=429, headers={"x-client-id": "c1"}),
    e(2, "POST", TOKEN, 5.0, headers={"x-client-id": "c1"}),
    e(3, "POST", TOKEN, 45.0, headers={"x-client-id": "c2"}),
]
MSG = {"new_message": {"parts": [{"text": "add music"}]}}
SENDS = [
    e(1, "POST", "/run_sse", 0.0, code=1001, body=MSG),  # refused as JSON: never reached the agent
    e(2, "POST", "/run_sse", 1.0, content_type=SSE, vtime_end=20.0, body=MSG),
    e(3, "POST", "/run_sse", 30.0, content_type=SSE, vtime_end=40.0, body=MSG),
]

GETS = {"method": "GET", "path": "/api/render/proxy/lambda/*"}

TABLE = [
    # (id, expectation, journal, ok, a fragment of the message)
    ("count-exact", {"request": GETS, "count": 3}, POLLS, True, "3 request(s)"),
    ("count-exact-off", {"request": GETS, "count": 2}, POLLS, False, "exactly 2"),
    ("count-default-min-1", {"request": GETS}, POLLS, True, "at least 1"),
    ("count-default-none", {"request": {"path": "/nope"}}, POLLS, False, "got 0"),
    ("count-max", {"request": GETS, "count": {"max": 2}}, POLLS, False, "at most 2"),
    ("count-range", {"request": GETS, "count": {"min": 1, "max": 3}}, POLLS, True, "1 to 3"),
    ("count-code", {"request": {"code": 429}, "count": 1}, RATE, True, "code=429"),
    ("per-each", {"request": GETS, "count": 3, "per": "path"}, POLLS, True, f"{POLL}: 3"),
    ("per-one-off", {"request": GETS, "count": 1, "per": "path"}, POLLS, False, f"{POLL}: 3"),
    ("per-none", {"request": {"path": "/x"}, "count": 1, "per": "path"}, POLLS, False, "none"),
    ("order", {"order": [{"code": 429}, {"path": TOKEN, "code": 0}]}, RATE, True, "#1"),
    ("order-reversed", {"order": [{"code": 0}, {"code": 429}]}, RATE, False, "step 2"),
    ("in-order-spelling", {"in_order": [{"code": 0}, {"code": 429}]}, RATE, False, "step 2"),
    ("spaced-30", {"request": GETS, "spaced": {"at_least": 30}}, POLLS, True, "[30.0, 30.0]"),
    ("spaced-31", {"request": GETS, "spaced": {"at_least": 31}}, POLLS, False, "gap 1 is 30.0s"),
    (
        "spaced-31-tolerance",
        {"request": GETS, "spaced": {"at_least": 31, "tolerance": 1}},
        POLLS,
        True,
        "gaps",
    ),
    ("spaced-at-most", {"request": GETS, "spaced": {"at_most": 29}}, POLLS, False, "over 29"),
    ("spaced-needs-two", {"request": {"path": TOKEN}, "spaced": {}}, POLLS, False, "at least 2"),
    (
        "spacing-min-same-as-spaced",
        {"spacing": {"requests": GETS, "min": 31}},
        POLLS,
        False,
        "gap 1 is 30.0s",
    ),
    (
        "spacing-from-stream-end",
        {"spacing": {"requests": {"path": STATE}, "from": {"path": "/run_sse"}, "min": 30}},
        AFTER_STREAM,
        True,
        "[30.0, 60.0]",
    ),
    (
        "spacing-schedule",
        {
            "spacing": {
                "requests": {"path": STATE},
                "from": {"path": "/run_sse"},
                "schedule": [30, 60],
            }
        },
        AFTER_STREAM,
        True,
        "gaps",
    ),
    (
        "spacing-schedule-last-repeats",
        {"spacing": {"requests": {"path": STATE}, "from": {"path": "/run_sse"}, "schedule": [30]}},
        AFTER_STREAM,
        False,
        "gap 2 is 60.0s",
    ),
    (
        "spacing-schedule-tolerance",
        {
            "spacing": {
                "requests": {"path": STATE},
                "from": {"path": "/run_sse"},
                "schedule": [30],
                "tolerance": 30,
            }
        },
        AFTER_STREAM,
        True,
        "gaps",
    ),
    (
        "spacing-no-anchor",
        {"spacing": {"requests": {"path": STATE}, "from": {"path": "/x"}}},
        AFTER_STREAM,
        False,
        "to measure",
    ),
    (
        "gap-short",
        {"gap": {"from": {"code": 429}, "to": {"path": TOKEN}, "min": 29}},
        RATE,
        False,
        "5.0s",
    ),
    (
        "gap-ok",
        {"gap": {"from": {"code": 429}, "to": {"path": TOKEN}, "max": 29}},
        RATE,
        True,
        "5.0s",
    ),
    (
        "gap-tolerance",
        {"gap": {"from": {"code": 429}, "to": {"path": TOKEN}, "min": 6, "tolerance": 1}},
        RATE,
        True,
        "#1 -> #2",
    ),
    (
        "gap-nothing-after",
        {"gap": {"from": {"code": 0}, "to": {"code": 429}}},
        RATE,
        False,
        "none arrived",
    ),
    ("headers-carried", {"headers": {"names": ["X-Client-Id"]}}, RATE, True, "all 3"),
    ("headers-lacking", {"headers": {"names": ["X-Client-Id"]}}, POLLS, False, "lacks x-client-id"),
    (
        "same-header-differs",
        {"same_header": {"name": "X-Client-Id"}},
        RATE,
        False,
        "Expected one X-Client-Id on every request * *; 2 values across #1, #2, #3.",
    ),
    (
        "same-header-where",
        {"same_header": {"name": "X-Client-Id", "where": {"header": {"x-client-id": "c1"}}}},
        RATE,
        True,
        "share one",
    ),
    (
        "distinct",
        {"distinct": {"field": "headers.x-client-id"}},
        RATE,
        False,
        "Expected a different headers.x-client-id on every request * *; "
        "got ['c1', 'c1', 'c2'] (#1, #2, #3).",
    ),
    ("distinct-ok", {"distinct": {"field": "seq"}}, RATE, True, "3 distinct"),
    ("sent-once-resent", {"sent_once": {}}, SENDS, False, "'add music' sent 2×"),
    ("sent-once-refusal-no-send", {"sent_once": {}}, SENDS[:2], True, "1 message(s)"),
    ("since", {"request": {"path": TOKEN}, "count": 1, "since": 2}, RATE, True, "#3"),
]


@pytest.mark.parametrize(
    ("spec", "journal", "ok", "fragment"),
    [pytest.param(s, j, ok, f, id=i) for i, s, j, ok, f in TABLE],
)
def test_verdict_table(
    spec: dict[str, Any], journal: list[dict[str, Any]], ok: bool, fragment: str
) -> None:
    """Each expectation of the one language, on a hand-written journal, with its message."""
    result = check(journal, spec)
    assert (result.ok, fragment in result.message) == (ok, True), result.message


# -- the one spacing semantics ------------------------------------------------------------
SPACING = [
    # (id, the earlier entry, the later entry, the gap in virtual seconds)
    ("json-from-arrival", e(1, "GET", POLL, 10.0, vtime_end=12.0), e(2, "GET", POLL, 40.0), 30.0),
    (
        "stream-from-its-end",
        e(1, "POST", "/run_sse", 0.0, vtime_end=100.0, content_type=SSE),
        e(2, "GET", STATE, 130.0),
        30.0,
    ),
    (
        "dropped-from-its-end",
        e(1, "GET", STATE, 0.0, vtime_end=15.0, status=None, dropped=True),
        e(2, "GET", STATE, 45.0),
        30.0,
    ),
    (
        "stream-still-open-from-arrival",
        e(1, "POST", "/run_sse", 5.0, vtime_end=None, content_type=SSE),
        e(2, "GET", STATE, 35.0),
        30.0,
    ),
    ("rounded-to-ms", e(1, "GET", POLL, 0.0001), e(2, "GET", POLL, 30.00049), 30.0),
]


@pytest.mark.parametrize(
    ("before", "after", "want"), [pytest.param(b, a, w, id=i) for i, b, a, w in SPACING]
)
def test_gap_is_from_wait_start_to_arrival(
    before: dict[str, Any], after: dict[str, Any], want: float
) -> None:
    """A gap runs from the end of a stream or dropped exchange, else its arrival, to the next
    arrival."""
    assert gap(before, after) == want


def test_wait_start_of_a_json_answer_is_its_arrival() -> None:
    """The arrival is recorded exactly; a JSON answer is immediate, so its end is not used."""
    assert wait_start(e(1, "GET", POLL, 10.0, vtime_end=99.0)) == 10.0


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        pytest.param({"count": 1}, "request", id="no-check"),
        pytest.param({"request": {}, "order": [{}]}, "order", id="two-checks"),
        pytest.param({"request": {}, "count": -1}, "count", id="negative-count"),
        pytest.param({"request": {}, "count": {}}, "count", id="empty-count"),
        pytest.param({"request": {}, "spaced": {}, "count": 1}, "spaced", id="spaced-and-count"),
        pytest.param({"spacing": {"min": 1}}, "spacing.requests", id="spacing-no-requests"),
        pytest.param(
            {"spacing": {"requests": {"path_regex": "("}}},
            "spacing.requests.path_regex",
            id="regex",
        ),
        pytest.param({"order": [{"method": "get"}]}, "order.0.method", id="order-item"),
        pytest.param({"gap": {"from": {}}}, "gap.to", id="gap-no-to"),
        pytest.param({"headers": {"names": []}}, "headers.names", id="no-names"),
    ],
)
def test_bad_expectation_names_the_field(spec: dict[str, Any], field: str) -> None:
    """A malformed expectation raises MatchError naming the offending field."""
    with pytest.raises(MatchError) as err:
        parse(spec)
    assert err.value.field == field


def test_failure_lists_similar_requests() -> None:
    """A count that misses shows the requests that came close (same path, other method)."""
    result = check(POLLS, {"request": {"method": "POST", "path": POLL}, "count": 1})
    assert not result.ok and [s["seq"] for s in result.similar][:1] == [2]
    assert "Similar requests that did arrive:" in result.message
