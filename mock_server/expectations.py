"""The one expectation engine: checks over journal entries, each answering a `Result`.

`/_mock/verify`, the plugin's `expect()` and the scenario runner build these from the one
expectation language (verify.py parses it) and judge the same entries the same way.

Spacing has one meaning everywhere. The gap after an exchange runs from when the client could
start waiting (`wait_start`: the end of a stream or of a dropped exchange, else its arrival) to
the arrival of the next request, in virtual seconds, rounded to the millisecond. A gap `g` holds
`min`/`max` when `min - tolerance <= g <= max + tolerance` and a `schedule` entry `s` when
`|g - s| <= tolerance`; `tolerance` defaults to 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

from nemo_mock.server.matching import Entry, Matcher, field_at, refused_before_stream, sse_text
from nemo_mock.server.verdicts import Result, failed, label, labels, passed, similar

#: The empty match: every entry.
ANY = Matcher()


def wait_start(entry: Entry) -> float:
    """When the client could start waiting after an exchange (virtual seconds).

    For a stream (or a dropped request) that is when it ended; for any other exchange its
    arrival: the answer is immediate, and the arrival is recorded exactly (the end is recorded
    by the server after the answer went out, so under load it can be late, shrinking gaps).
    """
    stream = str(entry.get("content_type", "")).startswith("text/event-stream")
    end = entry.get("vtime_end") if stream or entry.get("dropped") else None
    return float(end if end is not None else entry["vtime"])


def gap(before: Entry, after: Entry) -> float:
    """Virtual seconds from `wait_start(before)` to the arrival of `after` (3 decimals)."""
    return round(float(after["vtime"]) - wait_start(before), 3)


class Check(Protocol):
    """One expectation on journal entries."""

    def judge(self, entries: Sequence[Entry]) -> Result:
        """The verdict on these entries (in journal order)."""
        ...


def _wanted(lo: int, hi: int | None) -> str:
    if hi == lo:
        return f"exactly {lo}"
    if hi is None:
        return f"at least {lo}"
    return f"at most {hi}" if lo == 0 else f"{lo} to {hi}"


@dataclass(frozen=True)
class Count:
    """`lo..hi` entries match (with `per`: for each value of that field)."""

    request: Matcher
    lo: int = 1
    hi: int | None = None
    per: str | None = None

    def judge(self, entries: Sequence[Entry]) -> Result:
        found = [e for e in entries if self.request.matches(e)]
        what, want = self.request.describe(), _wanted(self.lo, self.hi)
        if self.per is not None:
            return self._judge_per(entries, found, what, want)
        n = len(found)
        if n >= self.lo and (self.hi is None or n <= self.hi):
            return passed(f"{n} request(s) {what} (want {want}): {labels(found) or 'none'}", found)
        text = f"Expected {want} request(s) {what}, got {n}."
        return failed(text, found, similar(entries, self.request))

    def _judge_per(
        self, entries: Sequence[Entry], found: list[Entry], what: str, want: str
    ) -> Result:
        groups: dict[str, list[Entry]] = {}
        for e in found:
            groups.setdefault(str(field_at(e, str(self.per))), []).append(e)
        shown = ", ".join(f"{k}: {len(v)}" for k, v in groups.items()) or "none"
        bad = [k for k, v in groups.items() if not self._holds(len(v))]
        if not groups and self.lo > 0:
            text = f"Expected {want} request(s) {what} per {self.per}, got none."
            return failed(text, [], similar(entries, self.request))
        if bad:
            text = f"Expected {want} request(s) {what} per {self.per}, got {shown}."
            return failed(text, [e for k in bad for e in groups[k]], listed=False)
        return passed(f"{what} per {self.per} (want {want} each): {shown}", found)

    def _holds(self, n: int) -> bool:
        return n >= self.lo and (self.hi is None or n <= self.hi)


@dataclass(frozen=True)
class Order:
    """Entries matching each step arrived in this order (others may come between them)."""

    steps: tuple[Matcher, ...]

    def judge(self, entries: Sequence[Entry]) -> Result:
        found: list[Entry] = []
        pos = 0
        chain = " -> ".join(m.describe() for m in self.steps)
        for i, m in enumerate(self.steps):
            hit = next((j for j in range(pos, len(entries)) if m.matches(entries[j])), None)
            if hit is None:
                after = f" after #{found[-1]['seq']}" if found else ""
                text = f"Expected requests in order: {chain}; step {i + 1} ({m.describe()}) "
                text += f"did not arrive{after}."
                seen = [e for e in entries if any(x.matches(e) for x in self.steps)]
                if seen:
                    text += "\nRelevant requests as they arrived:\n"
                    text += "\n".join("  " + label(e) for e in seen)
                return failed(text, found, similar(entries[pos:], m))
            found.append(entries[hit])
            pos = hit + 1
        return passed("in order: " + " < ".join(label(e) for e in found), found)


def _bounds(lo: float | None, hi: float | None, schedule: Sequence[float]) -> str:
    words = [f">= {lo}s" if lo is not None else "", f"<= {hi}s" if hi is not None else ""]
    if schedule:
        words.append(f"by the schedule {list(schedule)} (its last gap repeats)")
    return " and ".join(w for w in words if w) or "(any gap)"


def _off(g: float, lo: float | None, hi: float | None, want: float | None, tol: float) -> str:
    """Why a gap fails its bounds ('' when it holds)."""
    if lo is not None and g < lo - tol:
        return f"under {lo}s"
    if hi is not None and g > hi + tol:
        return f"over {hi}s"
    if want is not None and abs(g - want) > tol:
        return f"not {want}s"
    return ""


@dataclass(frozen=True)
class Spacing:
    """Gaps between consecutive matching requests (the first from `anchor`, when given)."""

    requests: Matcher
    anchor: Matcher | None = None
    lo: float | None = None
    hi: float | None = None
    schedule: tuple[float, ...] = ()
    tolerance: float = 0.0

    def judge(self, entries: Sequence[Entry]) -> Result:
        what = self.requests.describe()
        found = [e for e in entries if self.requests.matches(e)]
        if self.anchor is not None:
            anchors = [e for e in entries if self.anchor.matches(e)]
            if not anchors:
                text = f"Expected a request {self.anchor.describe()} to measure the spacing of "
                text += f"{what} from; none arrived."
                return failed(text, [], similar(entries, self.anchor))
            first = anchors[0]
            found = [first, *(e for e in found if e["seq"] > first["seq"])]
            what += f" from {label(first)}"
        if len(found) < 2:
            text = f"Expected at least 2 requests {what} to check their spacing, got {len(found)}."
            return failed(text, found, similar(entries, self.requests))
        gaps = [gap(a, b) for a, b in pairwise(found)]
        for i, g in enumerate(gaps):
            want = self.schedule[min(i, len(self.schedule) - 1)] if self.schedule else None
            why = _off(g, self.lo, self.hi, want, self.tolerance)
            if why:
                a, b = found[i], found[i + 1]
                text = (
                    f"Expected requests {what} spaced "
                    f"{_bounds(self.lo, self.hi, self.schedule)} (tolerance {self.tolerance}s) "
                    f"in virtual time; gap {i + 1} is {g}s (between #{a['seq']} and "
                    f"#{b['seq']}), {why}; all gaps: {gaps}."
                )
                return failed(text, [a, b], listed=False)
        return passed(f"{len(found)} requests {what}, gaps {gaps}", found)


@dataclass(frozen=True)
class Gap:
    """From each `start` entry to the next `end` entry after it."""

    start: Matcher
    end: Matcher
    lo: float | None = None
    hi: float | None = None
    tolerance: float = 0.0

    def judge(self, entries: Sequence[Entry]) -> Result:
        starts = [e for e in entries if self.start.matches(e)]
        if not starts:
            text = f"Expected a request {self.start.describe()} to measure a gap from; none."
            return failed(text, [], similar(entries, self.start))
        measured: list[str] = []
        for a in starts:
            b = next((e for e in entries if e["seq"] > a["seq"] and self.end.matches(e)), None)
            if b is None:
                text = f"Expected a request {self.end.describe()} after {label(a)}; none arrived."
                return failed(text, [a], similar(entries, self.end))
            d = gap(a, b)
            why = _off(d, self.lo, self.hi, None, self.tolerance)
            if why:
                text = (
                    f"Expected {self.end.describe()} {_bounds(self.lo, self.hi, ())} (tolerance "
                    f"{self.tolerance}s) after {self.start.describe()} in virtual time; "
                    f"{label(b)} came {d}s after {label(a)}, {why}."
                )
                return failed(text, [a, b], listed=False)
            measured.append(f"#{a['seq']} -> #{b['seq']}: {d}s")
        return passed("; ".join(measured), starts)


def _none_to_check(where: Matcher, entries: Sequence[Entry]) -> Result:
    text = f"Expected requests {where.describe()} to check; none arrived."
    return failed(text, [], similar(entries, where))


@dataclass(frozen=True)
class Headers:
    """Every matching request carries each of these headers (non-empty)."""

    names: tuple[str, ...]
    where: Matcher = ANY

    def judge(self, entries: Sequence[Entry]) -> Result:
        found = [e for e in entries if self.where.matches(e)]
        if not found:
            return _none_to_check(self.where, entries)
        wanted = [n.lower() for n in self.names]
        lacking = [(e, [n for n in wanted if not (e.get("headers") or {}).get(n)]) for e in found]
        bad = [(e, miss) for e, miss in lacking if miss]
        if bad:
            shown = "; ".join(f"{label(e)} lacks {', '.join(m)}" for e, m in bad[:3])
            text = f"Expected every request {self.where.describe()} to carry "
            text += f"{', '.join(self.names)}; {len(bad)} of {len(found)} do not: {shown}."
            return failed(text, [e for e, _ in bad], listed=False)
        return passed(f"all {len(found)} requests carry {', '.join(self.names)}", found)


def _on_every(
    where: Matcher,
    entries: Sequence[Entry],
    want: str,
    seen: Callable[[list[Entry]], tuple[bool, str]],
) -> Result:
    """Judge the requests `where` matches together: `seen(found)` says whether they hold and
    what was seen; a failure reads "Expected {want} on every request {where}; {seen}."."""
    found = [e for e in entries if where.matches(e)]
    if not found:
        return _none_to_check(where, entries)
    holds, text = seen(found)
    if holds:
        return passed(text, found)
    text = f"Expected {want} on every request {where.describe()}; {text}."
    return failed(text, found, listed=False)


@dataclass(frozen=True)
class SameHeader:
    """Every matching request carries this header with one and the same value."""

    name: str
    where: Matcher = ANY

    def judge(self, entries: Sequence[Entry]) -> Result:
        return _on_every(self.where, entries, f"one {self.name}", self._seen)

    def _seen(self, found: list[Entry]) -> tuple[bool, str]:
        values = {(e.get("headers") or {}).get(self.name.lower()) for e in found}
        if None in values or len(values) != 1:
            missing = " (missing on some)" if None in values else ""
            return False, f"{len(values)} values{missing} across {labels(found)}"
        return True, f"{len(found)} requests share one {self.name}: {labels(found)}"


@dataclass(frozen=True)
class Distinct:
    """A journal field (dotted) has a different value on every matching request."""

    field: str
    where: Matcher = ANY

    def judge(self, entries: Sequence[Entry]) -> Result:
        return _on_every(self.where, entries, f"a different {self.field}", self._seen)

    def _seen(self, found: list[Entry]) -> tuple[bool, str]:
        values = [field_at(e, self.field) for e in found]
        dupes = [v for v, n in Counter(map(str, values)).items() if n > 1]
        if None in values or dupes:
            return False, f"got {values} ({labels(found)})"
        return True, f"{len(found)} distinct {self.field}: {values}"


@dataclass(frozen=True)
class SentOnce:
    """No /run_sse message text is streamed twice (a refusal before the stream is no send)."""

    where: Matcher

    def judge(self, entries: Sequence[Entry]) -> Result:
        found = [e for e in entries if self.where.matches(e) and not refused_before_stream(e)]
        texts = Counter(sse_text(e) or "" for e in found)
        dupes = {t: n for t, n in texts.items() if n > 1}
        if dupes:
            shown = "; ".join(f"{t!r} sent {n}×" for t, n in dupes.items())
            text = f"Expected each message {self.where.describe()} sent once; re-sent: {shown}."
            resent = [e for e in found if (sse_text(e) or "") in dupes]
            return failed(text, resent)
        return passed(f"{len(found)} message(s), each sent once", found)


SENT_ONCE_DEFAULT: dict[str, Any] = {"method": "POST", "path": "/run_sse"}
