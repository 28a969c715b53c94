"""A verdict on the journal and its message: what `POST /_mock/verify` answers, what `expect()`
raises and what a scenario report shows.

A failure message says what was expected and what happened, then lists the matching requests and,
when the match missed, the similar requests that did arrive (same path with another method, same
method with a close path), like pytest-httpserver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nemo_mock.server.matching import Entry, Matcher

SIMILAR_LIMIT = 5
SIMILAR_THRESHOLD = 0.6
LISTED = 20


@dataclass
class Result:
    """The outcome of one expectation, with the entries it rests on."""

    ok: bool
    message: str
    matched: list[dict[str, Any]] = field(default_factory=list)
    similar: list[dict[str, Any]] = field(default_factory=list)

    @property
    def seqs(self) -> list[int]:
        """The journal sequence numbers of the entries the verdict rests on."""
        return [int(e["seq"]) for e in self.matched if e.get("seq") is not None]

    def to_json(self) -> dict[str, Any]:
        """JSON-able view; entries are summarised to seq, vtime, method, path, status, code."""
        return {
            "ok": self.ok,
            "message": self.message,
            "matched": [brief(e) for e in self.matched],
            "similar": [brief(e) for e in self.similar],
        }


class VerificationError(AssertionError):
    """An expectation on the journal did not hold; the message lists similar requests."""

    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__(result.message)


def brief(e: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a journal entry that identify it."""
    return {k: e.get(k) for k in ("seq", "vtime", "method", "path", "status", "code")}


def line(e: Entry) -> str:
    """`#12 vtime=30.0 POST /run_sse -> 200 code 0`."""
    code = e.get("code")
    return (
        f"#{e.get('seq')} vtime={float(e.get('vtime') or 0):.1f} {e.get('method')} {e.get('path')}"
        f" -> {e.get('status')}{'' if code is None else f' code {code}'}"
    )


def label(e: Entry) -> str:
    """`#12 POST /run_sse`: an entry named inline."""
    return f"#{e.get('seq')} {e.get('method')} {e.get('path')}"


def labels(entries: Sequence[Entry], limit: int = 6) -> str:
    """`#1, #2, #3, … (+4)`."""
    shown = ", ".join(f"#{e.get('seq')}" for e in entries[:limit])
    return shown + (f", … (+{len(entries) - limit})" if len(entries) > limit else "")


def similar(entries: Iterable[Entry], match: Matcher) -> list[dict[str, Any]]:
    """Entries that did not match but come close (best first, at most SIMILAR_LIMIT)."""
    scored = []
    for e in entries:
        if match.matches(e):
            continue
        score = match.similarity(e)
        if score >= SIMILAR_THRESHOLD:
            scored.append((-score, int(e.get("seq") or 0), e))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [dict(e) for _, _, e in scored[:SIMILAR_LIMIT]]


def passed(text: str, matched: Sequence[Entry]) -> Result:
    """A verdict that holds."""
    return Result(True, text, [dict(e) for e in matched])


def failed(
    text: str, matched: Sequence[Entry], near: Sequence[Entry] = (), *, listed: bool = True
) -> Result:
    """A verdict that does not hold; `listed`: list the matching and similar requests."""
    parts = [text]
    if listed and matched:
        shown = "\n".join("  " + line(e) for e in matched[:LISTED])
        parts.append("Matching requests:\n" + shown)
    if listed and near:
        shown = "\n".join("  " + line(e) for e in near)
        parts.append("Similar requests that did arrive:\n" + shown)
    elif listed and not matched:
        parts.append("No similar request arrived.")
    return Result(False, "\n".join(parts), [dict(e) for e in matched], [dict(e) for e in near])
