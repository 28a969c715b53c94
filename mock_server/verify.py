"""Verify what a client sent, from the journal: count, order and spacing in virtual seconds.

From Python (each check raises VerificationError, an AssertionError, or returns the expectation):

    expect(world.journal).request("POST", "/run_sse").count(1)
    expect(journal).request("GET", "/api/render/proxy/lambda/*").spaced(at_least=30, tolerance=1)
    expect(journal).in_order([("POST", "/api/render/proxy/lambda"), ("GET", "/api/render/*")])

Over HTTP, `POST /_mock/verify` takes the same thing as JSON (`check(entries, spec)`):

    {"request": {"method": "POST", "path": "/run_sse"}, "count": 1}
    {"request": {...}, "count": {"min": 1, "max": 3}}
    {"request": {...}, "spaced": {"at_least": 30, "at_most": 60, "tolerance": 1}}
    {"in_order": [{"method": "POST", "path": "/api/render/proxy/lambda"}, {...}]}
    (any of them may add "since": <seq> to look only at later entries)

and answers `{ok, message, matched, similar}`. Spacing has one meaning here and in the scenario
runner (`gap`): from when the client could start waiting after one exchange (the end of a stream
or of a dropped exchange, else its arrival) to the arrival of the next, in virtual seconds. A
failure message lists the similar requests that did arrive (same path with another method, same
method with a close path), like pytest-httpserver.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nemo_mock.server.matching import MatchError, RequestMatch

SIMILAR_LIMIT = 5
SIMILAR_THRESHOLD = 0.6


def wait_start(entry: Mapping[str, Any]) -> float:
    """When the client could start waiting after an exchange (virtual seconds).

    For a stream (or a dropped request) that is when it ended; for any other exchange its
    arrival: the answer is immediate, and the arrival is recorded exactly (the end is recorded
    by the server after the answer went out, so under load it can be late, shrinking gaps).
    """
    streamed = str(entry.get("content_type", "")).startswith("text/event-stream")
    end = entry.get("vtime_end") if streamed or entry.get("dropped") else None
    return float(end if end is not None else entry["vtime"])


def gap(before: Mapping[str, Any], after: Mapping[str, Any]) -> float:
    """Virtual seconds from `wait_start(before)` to the arrival of `after` (3 decimals)."""
    return round(float(after["vtime"]) - wait_start(before), 3)


class VerificationError(AssertionError):
    """An expectation on the journal did not hold; the message lists similar requests."""

    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__(result.message)


@dataclass
class Result:
    """The outcome of one check (what POST /_mock/verify answers)."""

    ok: bool
    message: str
    matched: list[dict[str, Any]] = field(default_factory=list)
    similar: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-able view; entries are summarised to seq, vtime, method, path, status, code."""
        return {
            "ok": self.ok,
            "message": self.message,
            "matched": [brief(e) for e in self.matched],
            "similar": [brief(e) for e in self.similar],
        }


def brief(e: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a journal entry that identify it."""
    return {k: e.get(k) for k in ("seq", "vtime", "method", "path", "status", "code")}


def line(e: Mapping[str, Any]) -> str:
    """`#12 t=+30.0s POST /run_sse -> 200 code 0` (t relative to nothing: absolute vtime)."""
    code = e.get("code")
    return (
        f"#{e.get('seq')} vtime={float(e.get('vtime') or 0):.1f} {e.get('method')} {e.get('path')}"
        f" -> {e.get('status')}{'' if code is None else f' code {code}'}"
    )


def _entries(source: Any) -> list[dict[str, Any]]:
    if hasattr(source, "query"):
        return list(source.query())
    return list(source)


def similar(entries: Iterable[Mapping[str, Any]], match: RequestMatch) -> list[dict[str, Any]]:
    """Requests that did not match but come close (best first, at most SIMILAR_LIMIT)."""
    scored = []
    for e in entries:
        method, path = str(e.get("method", "")), str(e.get("path", ""))
        if match.matches(method, path, e.get("headers") or {}):
            continue
        score = match.similarity(method, path)
        if score >= SIMILAR_THRESHOLD:
            scored.append((-score, int(e.get("seq") or 0), e))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [dict(e) for _, _, e in scored[:SIMILAR_LIMIT]]


def _failure(text: str, matched: list[dict[str, Any]], near: list[dict[str, Any]]) -> Result:
    parts = [text]
    if matched:
        parts.append("Matching requests:\n" + "\n".join("  " + line(e) for e in matched[:20]))
    if near:
        parts.append(
            "Similar requests that did arrive:\n" + "\n".join("  " + line(e) for e in near)
        )
    elif not matched:
        parts.append("No similar request arrived.")
    return Result(False, "\n".join(parts), matched, near)


class RequestExpectation:
    """Checks on the journal entries one match selects."""

    def __init__(self, entries: list[dict[str, Any]], match: RequestMatch, **filters: Any) -> None:
        self.match = match
        self.filters = filters
        self.all = entries
        self.entries = [e for e in entries if self._selects(e)]

    def _selects(self, e: Mapping[str, Any]) -> bool:
        if not self.match.matches(str(e.get("method")), str(e.get("path")), e.get("headers") or {}):
            return False
        return all(e.get(k) == v for k, v in self.filters.items())

    @property
    def what(self) -> str:
        """The expectation in words."""
        extra = "".join(f" {k}={v}" for k, v in self.filters.items())
        return f"{self.match.describe()}{extra}"

    def check_count(
        self, exactly: int | None = None, at_least: int | None = None, at_most: int | None = None
    ) -> Result:
        """Result of a count check."""
        n = len(self.entries)
        ok = (
            (exactly is None or n == exactly)
            and (at_least is None or n >= at_least)
            and (at_most is None or n <= at_most)
        )
        wanted = (
            f"exactly {exactly}"
            if exactly is not None
            else " and ".join(
                x
                for x in (
                    f"at least {at_least}" if at_least is not None else "",
                    f"at most {at_most}" if at_most is not None else "",
                )
                if x
            )
            or "any number of"
        )
        if ok:
            return Result(True, f"{n} request(s) {self.what}", self.entries)
        text = f"Expected {wanted} request(s) {self.what}, got {n}."
        return _failure(text, self.entries, similar(self.all, self.match))

    def check_spaced(
        self, at_least: float | None = None, at_most: float | None = None, tolerance: float = 0.0
    ) -> Result:
        """Result of a spacing check (virtual seconds between consecutive requests)."""
        if len(self.entries) < 2:
            n = len(self.entries)
            text = f"Expected at least 2 requests {self.what} to check their spacing, got {n}."
            return _failure(text, self.entries, similar(self.all, self.match))
        gaps = [gap(a, b) for a, b in itertools.pairwise(self.entries)]
        bad = [
            (i, g)
            for i, g in enumerate(gaps)
            if (at_least is not None and g < at_least - tolerance)
            or (at_most is not None and g > at_most + tolerance)
        ]
        bounds = " and ".join(
            x
            for x in (
                f">= {at_least}s" if at_least is not None else "",
                f"<= {at_most}s" if at_most is not None else "",
            )
            if x
        )
        if not bad:
            return Result(
                True, f"{len(self.entries)} requests {self.what}, gaps {gaps}", self.entries
            )
        i, g = bad[0]
        a, b = self.entries[i]["seq"], self.entries[i + 1]["seq"]
        text = (
            f"Expected requests {self.what} spaced {bounds} (tolerance {tolerance}s) in "
            f"virtual time; gap {i + 1} is {g}s (between #{a} and #{b}); all gaps: {gaps}."
        )
        return _failure(text, self.entries, [])

    # -- the asserting API ----------------------------------------------------------------
    def count(self, n: int) -> RequestExpectation:
        """Exactly `n` such requests arrived."""
        return self._assert(self.check_count(exactly=n))

    def at_least(self, n: int) -> RequestExpectation:
        """At least `n` such requests arrived."""
        return self._assert(self.check_count(at_least=n))

    def at_most(self, n: int) -> RequestExpectation:
        """At most `n` such requests arrived."""
        return self._assert(self.check_count(at_most=n))

    def never(self) -> RequestExpectation:
        """No such request arrived."""
        return self.count(0)

    def once(self) -> RequestExpectation:
        """Exactly one such request arrived."""
        return self.count(1)

    def spaced(
        self, at_least: float | None = None, at_most: float | None = None, tolerance: float = 0.0
    ) -> RequestExpectation:
        """Consecutive such requests are at_least..at_most virtual seconds apart (±tolerance)."""
        return self._assert(self.check_spaced(at_least, at_most, tolerance))

    def _assert(self, result: Result) -> RequestExpectation:
        if not result.ok:
            raise VerificationError(result)
        return self


Step = RequestMatch | tuple[str, str] | Mapping[str, Any]


def _as_match(step: Step, where: str) -> RequestMatch:
    if isinstance(step, RequestMatch):
        return step
    if isinstance(step, tuple):
        method, path = step
        return RequestMatch.parse({"method": method, "path": path}, where)
    return RequestMatch.parse(step, where)


class Expect:
    """Expectations on a journal (or any list of entries)."""

    def __init__(self, source: Any, since: int | None = None) -> None:
        entries = _entries(source)
        self.entries = [e for e in entries if since is None or int(e.get("seq") or 0) > since]

    def request(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        path_regex: str | None = None,
        header: Mapping[str, str] | None = None,
        **filters: Any,
    ) -> RequestExpectation:
        """The requests with this method and path glob (and optional header, status, code...)."""
        spec: dict[str, Any] = {"method": method, "path": path, "path_regex": path_regex}
        if header is not None:
            spec["header"] = dict(header)
        match = RequestMatch.parse({k: v for k, v in spec.items() if v is not None})
        return RequestExpectation(self.entries, match, **filters)

    def check_in_order(self, steps: Sequence[Step]) -> Result:
        """Result of an order check: each step after the one before it."""
        matches = [_as_match(s, f"in_order[{i}]") for i, s in enumerate(steps)]
        found: list[dict[str, Any]] = []
        pos = 0
        for i, m in enumerate(matches):
            hit = next(
                (
                    j
                    for j in range(pos, len(self.entries))
                    if m.matches(
                        str(self.entries[j].get("method")),
                        str(self.entries[j].get("path")),
                        self.entries[j].get("headers") or {},
                    )
                ),
                None,
            )
            if hit is None:
                seen = [
                    e
                    for e in self.entries
                    if any(
                        x.matches(str(e.get("method")), str(e.get("path")), e.get("headers") or {})
                        for x in matches
                    )
                ]
                after = f" after #{found[-1]['seq']}" if found else ""
                text = (
                    f"Expected requests in order: {' -> '.join(x.describe() for x in matches)}; "
                    f"step {i + 1} ({m.describe()}) did not arrive{after}."
                )
                if seen:
                    text += "\nRelevant requests as they arrived:\n" + "\n".join(
                        "  " + line(e) for e in seen
                    )
                return _failure(text, found, similar(self.entries[pos:], m))
            found.append(self.entries[hit])
            pos = hit + 1
        return Result(True, "in order: " + ", ".join(f"#{e['seq']}" for e in found), found)

    def in_order(self, steps: Sequence[Step]) -> Expect:
        """These requests arrived in this order (others may come between them)."""
        result = self.check_in_order(steps)
        if not result.ok:
            raise VerificationError(result)
        return self


def expect(source: Any, since: int | None = None) -> Expect:
    """Expectations on a Journal (or a list of journal entries)."""
    return Expect(source, since)


def check(source: Any, spec: Any) -> Result:
    """Run a JSON expectation (see the module docstring); raises MatchError on a bad spec."""
    if not isinstance(spec, Mapping):
        raise MatchError("body", "must be an object")
    unknown = sorted(set(spec) - {"request", "count", "spaced", "in_order", "since"})
    if unknown:
        raise MatchError(unknown[0], "unknown key")
    since = spec.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
        raise MatchError("since", "must be a journal sequence number")
    ex = Expect(source, since)
    if "in_order" in spec:
        steps = spec["in_order"]
        if not isinstance(steps, list) or not steps:
            raise MatchError("in_order", "must be a non-empty list of matches")
        return ex.check_in_order(steps)
    if "request" not in spec:
        raise MatchError("request", "is required (or give in_order)")
    req = spec["request"]
    if not isinstance(req, Mapping):
        raise MatchError("request", "must be an object")
    filters = {k: req[k] for k in ("status", "code") if k in req}
    match = RequestMatch.parse({k: v for k, v in req.items() if k not in filters}, "request")
    exp = RequestExpectation(ex.entries, match, **filters)
    if "spaced" in spec:
        sp = spec["spaced"]
        if not isinstance(sp, Mapping) or not set(sp) <= {"at_least", "at_most", "tolerance"}:
            raise MatchError("spaced", "must be an object {at_least?, at_most?, tolerance?}")
        for k, v in sp.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise MatchError(f"spaced.{k}", "must be a number of virtual seconds")
        return exp.check_spaced(
            sp.get("at_least"), sp.get("at_most"), float(sp.get("tolerance", 0))
        )
    count = spec.get("count", {"min": 1})
    if isinstance(count, int) and not isinstance(count, bool):
        return exp.check_count(exactly=count)
    if (
        isinstance(count, Mapping)
        and set(count) <= {"min", "max"}
        and all(isinstance(v, int) and not isinstance(v, bool) for v in count.values())
    ):
        return exp.check_count(at_least=count.get("min"), at_most=count.get("max"))
    raise MatchError("count", "must be an integer or {min?, max?}")
