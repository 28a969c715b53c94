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
from nemo_mock.server.matching import Matcher, MatchError

RuleError = MatchError

#: actions that answer in place of the emulator (the handler does not run)
REPLACING = ("error", "status", "drop")
DEFAULT_SSE_ERROR = "Internal error while running the agent. Please try again."
# The shape of a rule (keys, types, ranges, which parameters each action takes, their defaults) is
# written once, in contracts/control-openapi.yaml (FaultRule, FaultAction); only what a schema
# cannot say (a code of the catalogue, a regular expression that compiles) is checked here.
_RULE = ("control", "FaultRule")


def action_types() -> tuple[str, ...]:
    """The documented action types."""
    return tuple(_action_schema()["properties"]["type"]["enum"])


def _action_schema() -> dict[str, Any]:
    schema: dict[str, Any] = contracts.control_openapi()["components"]["schemas"]["FaultAction"]
    return schema


@dataclass
class FaultRule:
    """One rule with its counters."""

    id: str
    match: Matcher
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
    """Validate a rule against its schema; raises RuleError naming the first offending field."""
    found = contracts.problems(contracts.component_validator(*_RULE), data)
    if found:
        raise RuleError(*found[0])
    match = Matcher.parse(data.get("match"), requests_only=True)  # compiles path_regex
    return FaultRule(
        id=data.get("id") or rule_id,
        match=match,
        action=_normalised(dict(data["action"])),
        times=data.get("times"),
        probability=float(data.get("probability", 1.0)),
        after=int(data.get("after", 0)),
        note=data.get("note"),
    )


def _normalised(action: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in (the schema's `default`s, for the parameters this type takes)."""
    kind = action["type"]
    if kind == "error" and (action["code"] not in contracts.errors() or action["code"] == 0):
        raise RuleError("action.code", f"{action['code']} is not an error code of errors.yaml")
    schema = _action_schema()
    for clause in schema["allOf"]:
        condition = clause["if"]["properties"]["type"]
        if kind == condition.get("const") or kind in condition.get("enum", ()):
            names = clause["then"]["propertyNames"]
            for name in names.get("enum", ()):
                default = schema["properties"][name].get("default")
                if default is not None:
                    action.setdefault(name, default)
    if kind == "sse_error":
        action.setdefault("message", DEFAULT_SSE_ERROR)
    return {k: v for k, v in action.items() if v is not None}


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
                if not rule.match.matches_request(method, path, headers):
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
