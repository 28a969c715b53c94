"""Fault rules: a match, a scope and an action (DESIGN §5), and the registry that applies them.

A rule (JSON, as POSTed to /_mock/faults; schema in contracts/control-openapi.yaml):

    {"match": {"method": "POST", "path": "/run_sse", "header": {"name": "X-Skill-Source",
               "value": "video-create"}},
     "times": 1, "probability": 1.0, "after": 0,
     "action": {"type": "sse_silent_close"}}

Scope: every request the match accepts is counted (`matched`); the first `after` are let through;
then the rule applies with `probability` (drawn from `world.rng("fault", rule_id, n)`, so a seed
reproduces it) until it has applied `times` times (null: forever) and is spent.

Rules are checked in the order they were added. Every rule that applies does so, up to the first
one whose action answers instead of the emulator (error, status, drop): later rules are not checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from random import Random
from typing import Any

from nemo_mock import contracts
from nemo_mock.server.matching import MatchError, RequestMatch

RuleError = MatchError

# action type -> {param: (type(s), required)}; documented in contracts/control-openapi.yaml
_NUM = (int, float)
ACTIONS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "error": {
        "code": ((int,), True),
        "status": ((int,), False),
        "message": ((str,), False),
        "data": ((dict,), False),
    },
    "status": {
        "status": ((int,), True),
        "body": ((dict, list, str), False),
        "headers": ((dict,), False),
    },
    "delay": {"seconds": (_NUM, True)},
    "drop": {},
    "malformed_json": {},
    "slow_body": {"chunk_bytes": ((int,), False), "gap_seconds": (_NUM, False)},
    "sse_silent_close": {},
    "sse_truncate": {"after_frames": ((int,), False)},
    "sse_error": {"message": ((str,), False)},
    "sse_stall": {},
    "sse_trailing_text": {},
    "sse_turn": {
        "silent": ((bool,), False),
        "truncate_after": ((int,), False),
        "error": ((str,), False),
        "stall": ((bool,), False),
        "trailing_text": ((bool,), False),
        "kind": ((str,), False),
    },
    "render_fail": {},
    "render_stall": {},
}
#: actions that answer in place of the emulator (the handler does not run)
REPLACING = ("error", "status", "drop")
#: actions that reshape the handler's answer
RESHAPING = ("malformed_json", "slow_body")
TURN_KINDS = ("text", "edit", "generation")
DEFAULT_SSE_ERROR = "Internal error while running the agent. Please try again."


@dataclass
class FaultRule:
    """One rule with its counters."""

    id: str
    match: RequestMatch
    action: dict[str, Any]
    times: int | None = None
    probability: float = 1.0
    after: int = 0
    note: str | None = None
    matched: int = 0
    applied: int = 0

    @property
    def type(self) -> str:
        """The action type."""
        return str(self.action["type"])

    @property
    def remaining(self) -> int | None:
        """How many more times it can apply (None: unlimited)."""
        return None if self.times is None else max(self.times - self.applied, 0)

    @property
    def spent(self) -> bool:
        """Applied `times` times already."""
        return self.times is not None and self.applied >= self.times

    def to_json(self) -> dict[str, Any]:
        """The rule as the control plane answers it (with id and counters)."""
        return {
            "id": self.id,
            "match": self.match.to_json(),
            "times": self.times,
            "probability": self.probability,
            "after": self.after,
            "action": dict(self.action),
            "note": self.note,
            "matched": self.matched,
            "applied": self.applied,
            "remaining": self.remaining,
            "spent": self.spent,
        }


def parse_rule(data: Any, rule_id: str) -> FaultRule:
    """Validate a rule; raises RuleError naming the offending field."""
    if not isinstance(data, Mapping):
        raise RuleError("rule", "must be an object")
    unknown = sorted(set(data) - {"id", "match", "times", "probability", "after", "action", "note"})
    if unknown:
        raise RuleError(unknown[0], "unknown key")
    match = RequestMatch.parse(data.get("match"))
    times = data.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise RuleError("times", "must be an integer >= 1 (or null for unlimited)")
    probability = data.get("probability", 1.0)
    if (
        isinstance(probability, bool)
        or not isinstance(probability, _NUM)
        or not 0 <= probability <= 1
    ):
        raise RuleError("probability", "must be a number between 0 and 1")
    after = data.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise RuleError("after", "must be an integer >= 0")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise RuleError("note", "must be a string")
    given_id = data.get("id")
    if given_id is not None and (not isinstance(given_id, str) or not given_id.strip()):
        raise RuleError("id", "must be a non-empty string")
    return FaultRule(
        id=given_id or rule_id,
        match=match,
        action=parse_action(data.get("action")),
        times=times,
        probability=float(probability),
        after=after,
        note=note,
    )


def parse_action(data: Any) -> dict[str, Any]:
    """Validate an action object; returns it normalised (defaults filled in)."""
    if not isinstance(data, Mapping):
        raise RuleError("action", "is required: an object with a `type`")
    kind = data.get("type")
    if kind not in ACTIONS:
        raise RuleError("action.type", f"must be one of {', '.join(ACTIONS)}")
    params = ACTIONS[kind]
    unknown = sorted(set(data) - {"type", *params})
    if unknown:
        raise RuleError(f"action.{unknown[0]}", f"unknown for action {kind}")
    out: dict[str, Any] = {"type": kind}
    for name, (types, required) in params.items():
        if name not in data or data[name] is None:
            if required:
                raise RuleError(f"action.{name}", f"is required for action {kind}")
            continue
        value = data[name]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise RuleError(f"action.{name}", f"must be {' or '.join(t.__name__ for t in types)}")
        out[name] = value
    _check_values(kind, out)
    return out


def _check_values(kind: str, a: dict[str, Any]) -> None:
    if kind == "error":
        if a["code"] not in contracts.errors() or a["code"] == 0:
            raise RuleError(
                "action.code", f"{a['code']} is not an error code of contracts/errors.yaml"
            )
        if "status" in a and not 100 <= a["status"] <= 599:
            raise RuleError("action.status", "must be an HTTP status (100-599)")
    elif kind == "status" and not 100 <= a["status"] <= 599:
        raise RuleError("action.status", "must be an HTTP status (100-599)")
    elif kind == "delay" and a["seconds"] < 0:
        raise RuleError("action.seconds", "must be >= 0 (virtual seconds)")
    elif kind == "slow_body":
        a.setdefault("chunk_bytes", 16)
        a.setdefault("gap_seconds", 1.0)
        if a["chunk_bytes"] < 1:
            raise RuleError("action.chunk_bytes", "must be >= 1")
        if a["gap_seconds"] < 0:
            raise RuleError("action.gap_seconds", "must be >= 0 (virtual seconds)")
    elif kind == "sse_truncate":
        a.setdefault("after_frames", 1)
        if a["after_frames"] < 0:
            raise RuleError("action.after_frames", "must be >= 0")
    elif kind == "sse_error":
        a.setdefault("message", DEFAULT_SSE_ERROR)
    elif kind == "sse_turn":
        if a.get("kind") is not None and a["kind"] not in TURN_KINDS:
            raise RuleError("action.kind", f"must be one of {', '.join(TURN_KINDS)}")
        if a.get("truncate_after") is not None and a["truncate_after"] < 0:
            raise RuleError("action.truncate_after", "must be >= 0")


@dataclass
class Applied:
    """A rule that applied to one request: what gets written into the journal entry."""

    rule: FaultRule
    n: int
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        """The action type."""
        return self.rule.type

    @property
    def action(self) -> dict[str, Any]:
        """The action's parameters."""
        return self.rule.action


class Faults:
    """The rules of one World, in the order they were added; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next = 0

    def __len__(self) -> int:
        return len(self._rules)

    def rules(self) -> list[FaultRule]:
        """Every rule (spent ones included, until removed)."""
        with self._lock:
            return list(self._rules)

    def add(self, data: Mapping[str, Any] | FaultRule) -> FaultRule:
        """Validate and append one rule; returns it (with its id)."""
        return self.add_many([data])[0]

    def add_many(self, items: Iterable[Mapping[str, Any] | FaultRule]) -> list[FaultRule]:
        """Validate all, then append all (nothing is added when one is bad)."""
        with self._lock:
            rules: list[FaultRule] = []
            ids = {r.id for r in self._rules}
            for i, item in enumerate(items):
                if isinstance(item, FaultRule):
                    rule = item
                else:
                    try:
                        rule = parse_rule(item, f"f{self._next + len(rules) + 1}")
                    except RuleError as exc:
                        if i or len(rules):
                            raise RuleError(
                                f"rules[{i}].{exc.field}", str(exc).split(": ", 1)[1]
                            ) from exc
                        raise
                if rule.id in ids:
                    raise RuleError("id", f"a rule with id {rule.id!r} exists already")
                ids.add(rule.id)
                rules.append(rule)
            self._next += len(rules)
            self._rules.extend(rules)
            return rules

    def get(self, rule_id: str) -> FaultRule | None:
        """The rule with this id."""
        with self._lock:
            return next((r for r in self._rules if r.id == rule_id), None)

    def remove(self, rule_id: str) -> bool:
        """Remove one rule; False when there is none with that id."""
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules = []

    def pick(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        rng: Callable[..., Random],
    ) -> list[Applied]:
        """The rules that apply to this request, counters updated (see the module docstring)."""
        out: list[Applied] = []
        with self._lock:
            for rule in self._rules:
                if not rule.match.matches(method, path, headers):
                    continue
                rule.matched += 1
                n = rule.matched
                if n <= rule.after or rule.spent:
                    continue
                if rule.probability < 1.0 and rng("fault", rule.id, n).random() >= rule.probability:
                    continue
                rule.applied += 1
                record = {"rule": rule.id, "n": n, **rule.action}
                out.append(Applied(rule, n, record))
                if rule.type in REPLACING:
                    break
        return out

    # -- snapshots -----------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """JSON-able state (rules with counters, and the id counter)."""
        with self._lock:
            return {"next": self._next, "rules": [r.to_json() for r in self._rules]}

    def load(self, data: Mapping[str, Any]) -> None:
        """Replace every rule by those of `dump` output (counters kept)."""
        rules = []
        for item in data.get("rules", []):
            spec = {
                k: item[k]
                for k in ("id", "match", "times", "probability", "after", "action", "note")
                if k in item
            }
            rule = parse_rule(spec, str(item["id"]))
            rule.matched, rule.applied = int(item.get("matched", 0)), int(item.get("applied", 0))
            rules.append(rule)
        with self._lock:
            self._rules = rules
            self._next = int(data.get("next", len(rules)))
