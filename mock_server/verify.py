"""Verify what a client sent, from the journal: the one expectation language and its Python API.

One language (schema `Expectation` in contracts/control-openapi.yaml; the scenario files use the
same keys): `POST /_mock/verify` takes it as JSON, `expect(journal).holds(...)` from Python, and a
scenario's journal expectations are written in it. Exactly one check per expectation:

    {"request": <match>, "count": 1 | {"min": 1, "max": 3}, "per": "path"}   (count: default min 1)
    {"order": [<match>, <match>, ...]}                    (a subsequence of the journal)
    {"spacing": {"requests": <match>, "from": <match>, "min": 29, "max": 90,
                 "schedule": [30, 60], "tolerance": 5}}
    {"gap": {"from": <match>, "to": <match>, "min": 29, "max": 90, "tolerance": 0}}
    {"headers": {"names": ["X-Client-Id"], "where": <match>}}
    {"same_header": {"name": "X-Client-Id", "where": <match>}}
    {"distinct": {"field": "body.id", "where": <match>}}
    {"sent_once": <match>}

plus, for `/_mock/verify` and `expect()`, `"since": <seq>` (only later entries) and two older
spellings kept as they were documented: `{"in_order": [...]}` is `order`, and
`{"request": <match>, "spaced": {"at_least", "at_most", "tolerance"}}` is `spacing` with
`min`/`max`. A `<match>` is matching.py's language; spacing's one meaning is in expectations.py.

From Python (each check raises VerificationError, an AssertionError, or returns the expectation):

    expect(world.journal).request("POST", "/run_sse").count(1)
    expect(journal).request("GET", "/api/render/proxy/lambda/*").spaced(at_least=30, tolerance=1)
    expect(journal).in_order([("POST", "/api/render/proxy/lambda"), ("GET", "/api/render/*")])
    expect(journal).holds({"gap": {"from": {"code": 429}, "to": {"path": "/api/*"}, "min": 29}})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nemo_mock.server.expectations import (
    SENT_ONCE_DEFAULT,
    Check,
    Count,
    Distinct,
    Gap,
    Headers,
    Order,
    SameHeader,
    SentOnce,
    Spacing,
)
from nemo_mock.server.matching import Entry, Matcher, MatchError, schema_error
from nemo_mock.server.verdicts import Result, VerificationError

#: The keys that name the check; exactly one per expectation.
CHECK_KEYS = (
    "request",
    "order",
    "in_order",
    "spacing",
    "gap",
    "headers",
    "same_header",
    "distinct",
    "sent_once",
)


def parse(spec: Any) -> Check:
    """One expectation of the language; raises MatchError naming the offending field."""
    if not isinstance(spec, Mapping):
        raise MatchError("body", "must be an object")
    given = [k for k in CHECK_KEYS if k in spec]
    if not given:
        raise MatchError("request", f"is required (or one of {', '.join(CHECK_KEYS[1:])})")
    if len(given) > 1:
        raise MatchError(given[1], f"one check per expectation (already {given[0]})")
    if "spaced" in spec and ("count" in spec or "per" in spec):
        raise MatchError("spaced", "goes with request alone: a spacing, not a count")
    problem = schema_error("control", "Expectation", dict(spec), "")
    if problem is not None:
        raise problem
    kind = given[0]
    if kind == "request":
        return _request(spec)
    if kind in ("order", "in_order"):
        steps = spec[kind]
        return Order(tuple(Matcher.parse(m, f"{kind}.{i}") for i, m in enumerate(steps)))
    if kind == "spacing":
        s = spec["spacing"]
        anchor = Matcher.parse(s["from"], "spacing.from") if "from" in s else None
        return Spacing(
            Matcher.parse(s["requests"], "spacing.requests"),
            anchor,
            s.get("min"),
            s.get("max"),
            tuple(s.get("schedule", ())),
            float(s.get("tolerance", 0)),
        )
    if kind == "gap":
        g = spec["gap"]
        start, end = Matcher.parse(g["from"], "gap.from"), Matcher.parse(g["to"], "gap.to")
        return Gap(start, end, g.get("min"), g.get("max"), float(g.get("tolerance", 0)))
    if kind == "sent_once":
        return SentOnce(Matcher.parse(dict(spec[kind]) or SENT_ONCE_DEFAULT, kind))
    body = spec[kind]
    where = Matcher.parse(body.get("where"), f"{kind}.where")
    if kind == "headers":
        return Headers(tuple(body["names"]), where)
    if kind == "same_header":
        return SameHeader(body["name"], where)
    return Distinct(body["field"], where)


def _request(spec: Mapping[str, Any]) -> Check:
    match = Matcher.parse(spec["request"], "request")
    if "spaced" in spec:
        sp = spec["spaced"]
        tolerance = float(sp.get("tolerance", 0))
        return Spacing(match, None, sp.get("at_least"), sp.get("at_most"), (), tolerance)
    count = spec.get("count", {"min": 1})
    lo, hi = (count, count) if isinstance(count, int) else (count.get("min", 0), count.get("max"))
    return Count(match, lo, hi, spec.get("per"))


def _entries(source: Any, since: int | None = None) -> list[Entry]:
    entries = list(source.query()) if hasattr(source, "query") else list(source)
    return [e for e in entries if since is None or int(e.get("seq") or 0) > since]


def check(source: Any, spec: Any) -> Result:
    """Judge one expectation on a Journal (or a list of entries); MatchError on a bad spec."""
    check_ = parse(spec)
    return check_.judge(_entries(source, spec.get("since")))


def _assert(result: Result) -> None:
    if not result.ok:
        raise VerificationError(result)


class RequestExpectation:
    """Checks on the journal entries one match selects."""

    def __init__(self, entries: list[Entry], match: Matcher) -> None:
        self.match = match
        self.all = entries
        self.entries = [e for e in entries if match.matches(e)]

    def check_count(
        self, exactly: int | None = None, at_least: int | None = None, at_most: int | None = None
    ) -> Result:
        """Result of a count check."""
        if exactly is not None:
            return Count(self.match, exactly, exactly).judge(self.all)
        return Count(self.match, at_least or 0, at_most).judge(self.all)

    def check_spaced(
        self,
        at_least: float | None = None,
        at_most: float | None = None,
        tolerance: float = 0.0,
        schedule: Sequence[float] = (),
    ) -> Result:
        """Result of a spacing check (virtual seconds between consecutive requests)."""
        check_ = Spacing(self.match, None, at_least, at_most, tuple(schedule), tolerance)
        return check_.judge(self.all)

    def count(self, n: int) -> RequestExpectation:
        """Exactly `n` such requests arrived."""
        _assert(self.check_count(exactly=n))
        return self

    def at_least(self, n: int) -> RequestExpectation:
        """At least `n` such requests arrived."""
        _assert(self.check_count(at_least=n))
        return self

    def at_most(self, n: int) -> RequestExpectation:
        """At most `n` such requests arrived."""
        _assert(self.check_count(at_most=n))
        return self

    def never(self) -> RequestExpectation:
        """No such request arrived."""
        return self.count(0)

    def once(self) -> RequestExpectation:
        """Exactly one such request arrived."""
        return self.count(1)

    def spaced(
        self,
        at_least: float | None = None,
        at_most: float | None = None,
        tolerance: float = 0.0,
        schedule: Sequence[float] = (),
    ) -> RequestExpectation:
        """Consecutive such requests are at_least..at_most virtual seconds apart (±tolerance)."""
        _assert(self.check_spaced(at_least, at_most, tolerance, schedule))
        return self


Step = Matcher | tuple[str, str] | Mapping[str, Any]


def _as_match(step: Step, where: str) -> Matcher:
    if isinstance(step, Matcher):
        return step
    if isinstance(step, tuple):
        method, path = step
        return Matcher.parse({"method": method.upper(), "path": path}, where)
    return Matcher.parse(step, where)


class Expect:
    """Expectations on a journal (or any list of entries)."""

    def __init__(self, source: Any, since: int | None = None) -> None:
        self.entries = _entries(source, since)

    def request(
        self, method: str | None = None, path: str | None = None, **keys: Any
    ) -> RequestExpectation:
        """The requests with this method and path glob, and any other match key (`header`,
        `code`, `status`, `path_regex`, ...)."""
        spec = {"method": method.upper() if method else None, "path": path, **keys}
        match = Matcher.parse({k: v for k, v in spec.items() if v is not None}, "request")
        return RequestExpectation(self.entries, match)

    def check_in_order(self, steps: Sequence[Step]) -> Result:
        """Result of an order check: each step after the one before it."""
        matches = tuple(_as_match(s, f"in_order.{i}") for i, s in enumerate(steps))
        return Order(matches).judge(self.entries)

    def in_order(self, steps: Sequence[Step]) -> Expect:
        """These requests arrived in this order (others may come between them)."""
        _assert(self.check_in_order(steps))
        return self

    def check(self, spec: Mapping[str, Any]) -> Result:
        """Result of any expectation of the language (`since` narrows to later entries)."""
        return parse(spec).judge(_entries(self.entries, spec.get("since")))

    def holds(self, spec: Mapping[str, Any]) -> Expect:
        """Any expectation of the language holds (e.g. `{"gap": {...}}`)."""
        _assert(self.check(spec))
        return self


def expect(source: Any, since: int | None = None) -> Expect:
    """Expectations on a Journal (or a list of journal entries)."""
    return Expect(source, since)


__all__ = ["CHECK_KEYS", "Expect", "Result", "VerificationError", "check", "expect", "parse"]
