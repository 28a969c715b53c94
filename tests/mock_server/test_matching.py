"""The one matcher language: a hand-written table of (matcher, journal entry) → match."""

from __future__ import annotations

from typing import Any

import pytest

from nemo_mock.server.matching import Matcher, MatchError


def entry(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seq": 7,
        "method": "POST",
        "path": "/run_sse",
        "vtime": 10.0,
        "status": 200,
        "code": 0,
        "headers": {"x-skill-source": "video-create", "content-type": "application/json"},
        "body": {"new_message": {"parts": [{"text": "add music"}]}},
    }
    base.update(extra)
    return base


SSE = entry()
REFUSED = entry(code=1001, headers={})
POLL = entry(method="GET", path="/api/render/proxy/lambda/render_1", body=None)
FAULTED = entry(faults=[{"rule": "f1", "type": "sse_silent_close"}])

TABLE = [
    # (id, matcher, entry, matches)
    ("empty-matches-all", {}, POLL, True),
    ("method", {"method": "POST"}, SSE, True),
    ("method-other", {"method": "GET"}, SSE, False),
    ("method-star", {"method": "*"}, POLL, True),
    ("path-exact", {"path": "/run_sse"}, SSE, True),
    ("path-exact-is-whole", {"path": "/run"}, SSE, False),
    ("path-glob", {"path": "/api/render/*"}, POLL, True),
    ("path-star-crosses-slash", {"path": "/api/*"}, POLL, True),
    ("path-question-mark", {"path": "/run_ss?"}, SSE, True),
    ("path-list-any", {"path": ["/nope", "/run_sse"]}, SSE, True),
    ("path-list-none", {"path": ["/nope", "/other"]}, SSE, False),
    ("path-not", {"path_not": "/run_sse"}, SSE, False),
    ("path-not-list", {"path_not": ["/a", "/api/*"]}, POLL, False),
    ("path-not-elsewhere", {"path_not": "/api/*"}, SSE, True),
    ("path-regex-searched", {"path_regex": "render_[0-9]"}, POLL, True),
    ("path-regex-anchored", {"path_regex": "^/render"}, POLL, False),
    ("header-pair-present", {"header": {"name": "X-Skill-Source"}}, SSE, True),
    ("header-pair-value", {"header": {"name": "x-skill-source", "value": "video-*"}}, SSE, True),
    ("header-pair-wrong", {"header": {"name": "X-Skill-Source", "value": "other"}}, SSE, False),
    ("header-pair-absent", {"header": {"name": "X-Client-Id"}}, SSE, False),
    ("header-map-present", {"header": {"X-Skill-Source": "*"}}, SSE, True),
    ("header-map-glob", {"header": {"content-type": "application/json*"}}, SSE, True),
    ("header-map-all-must-hold", {"header": {"content-type": "*", "x-a": "*"}}, SSE, False),
    ("header-map-absent", {"header": {"x-client-id": "*"}}, REFUSED, False),
    ("missing-header", {"missing_header": "X-Client-Id"}, SSE, True),
    ("missing-header-present", {"missing_header": "X-SKILL-SOURCE"}, SSE, False),
    ("status", {"status": 200}, SSE, True),
    ("status-other", {"status": 429}, SSE, False),
    ("code", {"code": 1001}, REFUSED, True),
    ("code-other", {"code": 1001}, SSE, False),
    ("code-not", {"code_not": 0}, REFUSED, True),
    ("code-not-same", {"code_not": 0}, SSE, False),
    ("text", {"text": "add music"}, SSE, True),
    ("text-other", {"text": "add"}, SSE, False),
    ("text-no-body", {"text": "add music"}, POLL, False),
    ("fault-true", {"fault": True}, FAULTED, True),
    ("fault-true-none", {"fault": True}, SSE, False),
    ("fault-false", {"fault": False}, SSE, True),
    ("every-key-must-hold", {"method": "POST", "path": "/run_sse", "code": 1001}, SSE, False),
]


@pytest.mark.parametrize(
    ("matcher", "e", "want"), [pytest.param(m, e, w, id=i) for i, m, e, w in TABLE]
)
def test_matcher_table(matcher: dict[str, Any], e: dict[str, Any], want: bool) -> None:
    """Every given key must hold (the matcher table of contracts/control-openapi.yaml)."""
    assert Matcher.parse(matcher).matches(e) is want


def test_both_header_shapes_are_one_matcher() -> None:
    """`{name, value}` and `{Name: value}` normalise to the same internal form."""
    pair = Matcher.parse({"header": {"name": "X-Skill-Source", "value": "video-*"}})
    mapping = Matcher.parse({"header": {"x-skill-source": "video-*"}})
    assert pair == mapping and pair.headers == (("x-skill-source", "video-*"),)


def test_map_star_is_present_like_a_pair_without_value() -> None:
    """`{Name: "*"}` means present, as `{name}` without `value` does."""
    assert Matcher.parse({"header": {"X-A": "*"}}) == Matcher.parse({"header": {"name": "x-a"}})


def test_live_request_uses_only_the_request_keys() -> None:
    """A fault rule decides on method, path and headers before the answer exists."""
    m = Matcher.parse(
        {"method": "POST", "path": "/run_sse", "header": {"x-skill-source": "video-*"}},
        requests_only=True,
    )
    assert m.matches_request("POST", "/run_sse", {"x-skill-source": "video-create"})
    assert not m.matches_request("POST", "/run_sse", {})


@pytest.mark.parametrize("key", ["status", "code", "code_not", "text", "fault"])
def test_fault_match_refuses_answer_keys(key: str) -> None:
    """RequestMatch (a fault rule's match) has no keys about the answer."""
    with pytest.raises(MatchError) as err:
        Matcher.parse({key: 1}, requests_only=True)
    assert err.value.field == f"match.{key}"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"method": "get"}, "match.method", id="method-lower-case"),
        pytest.param({"method": "FETCH"}, "match.method", id="method-unknown"),
        pytest.param({"path": "run_sse"}, "match.path", id="path-no-slash"),
        pytest.param({"path": []}, "match.path", id="path-empty-list"),
        pytest.param({"path_regex": "("}, "match.path_regex", id="regex"),
        pytest.param({"header": {"value": "x"}}, "match.header.name", id="header-no-name"),
        pytest.param({"header": {"name": "a", "x": "b"}}, "match.header.name", id="header-mixed"),
        pytest.param({"header": {}}, "match.header", id="header-empty"),
        pytest.param({"code": "1001"}, "match.code", id="code-string"),
        pytest.param({"wat": 1}, "match.wat", id="unknown"),
    ],
)
def test_bad_matcher_names_the_field(data: dict[str, Any], field: str) -> None:
    """A malformed matcher raises MatchError naming the offending key."""
    with pytest.raises(MatchError) as err:
        Matcher.parse(data)
    assert err.value.field == field


def test_canonical_json_round_trips() -> None:
    """`to_json` gives a matcher that parses back to the same one."""
    data = {
        "method": "POST",
        "path": ["/a", "/b/*"],
        "path_not": "/b/x",
        "header": {"X-One": "1", "x-two": "*"},
        "missing_header": "X-Three",
        "code_not": 0,
        "fault": False,
    }
    m = Matcher.parse(data)
    assert Matcher.parse(m.to_json()) == m
    assert m.to_json()["header"] == {"x-one": "1", "x-two": "*"}


def test_describe_names_every_key() -> None:
    """Messages show the match in a few words."""
    text = Matcher.parse(
        {"method": "POST", "path": "/run_sse", "code": 1001, "header": {"name": "X-A"}}
    ).describe()
    assert text == "POST /run_sse code=1001 [x-a: *]"


@pytest.mark.parametrize(
    ("filters", "want"),
    [
        pytest.param({"path": "/api/render/*"}, True, id="prefix-star"),
        pytest.param({"path": "/api/*/proxy/lambda/render_1"}, True, id="glob-inside"),
        pytest.param({"path": "/api/render"}, False, id="exact-is-whole"),
        pytest.param({"method": "get", "code": "0", "status": "200"}, True, id="query-strings"),
        pytest.param({"method": "*"}, True, id="any-method"),
        pytest.param({"code": 1001}, False, id="code-other"),
    ],
)
def test_journal_query_filters_are_the_one_matcher(filters: dict[str, Any], want: bool) -> None:
    """GET /_mock/journal filters (method, path glob, code, status) select as a match does."""
    from nemo_mock.server.journal import filter_matcher

    assert filter_matcher(filters).matches(POLL) is want
