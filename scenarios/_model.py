"""Scenario, Step and Expectation: plain frozen values built from validated YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The expectation kinds (exactly one per expectation; see schema.json).
CHECKS = (
    "output",
    "exit",
    "request",
    "order",
    "headers",
    "same_header",
    "spacing",
    "gap",
    "distinct",
    "sent_once",
    "secrets",
)
#: The kinds judged on the journal, by the emulator's one expectation engine (server.verify).
JOURNAL_CHECKS = (
    "request",
    "order",
    "headers",
    "same_header",
    "spacing",
    "gap",
    "distinct",
    "sent_once",
)
STEP_KINDS = ("say", "upload", "advance", "control")
#: --variant: the emulator settings each variant runs under. body/http: the error_status modes
#: (DESIGN §3.1); strict: the readings that ask more of a client (contracts/README.md, Readings):
#: the render status bare at top level (v1.9 §3.5) and attribution required on every call (v1.9 §3).
VARIANTS: dict[str, dict[str, str]] = {
    "body": {"error_status": "body"},
    "http": {"error_status": "http"},
    "strict": {
        "error_status": "body",
        "render_status_shape": "bare",
        "attribution_required": "everywhere",
    },
}


@dataclass(frozen=True)
class Step:
    """One user action (say / upload) or one server-side action (advance / control)."""

    id: str
    kind: str
    value: Any
    deadline: float = 30.0

    @classmethod
    def from_dict(cls, raw: dict[str, Any], index: int) -> Step:
        kind = next(k for k in STEP_KINDS if k in raw)
        return cls(
            id=str(raw.get("id") or f"step{index + 1}"),
            kind=kind,
            value=raw[kind],
            deadline=float(raw.get("deadline", 30.0)),
        )

    @property
    def is_client(self) -> bool:
        """True when the client runs (say, upload); false for server-side steps."""
        return self.kind in ("say", "upload")

    def describe(self) -> str:
        """A short human label."""
        if self.kind == "say":
            return f"say {self.value!r}"
        if self.kind == "upload":
            return f"upload {self.value.get('file') or self.value.get('url')}"
        if self.kind == "advance":
            return f"advance {self.value}s"
        return f"control {', '.join(self.value)}"


@dataclass(frozen=True)
class Expectation:
    """One check, tagged MUST or SHOULD, citing the rule it checks."""

    id: str
    level: str
    rule: str
    check: str
    spec: dict[str, Any]
    steps: tuple[str, ...] = ()
    readings: str = ""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Expectation:
        check = next(k for k in CHECKS if k in raw)
        scope = raw.get("steps") or ()
        meta = ("id", "level", "rule", "readings", "steps")
        spec = {k: v for k, v in raw.items() if k not in meta}
        return cls(
            id=str(raw["id"]),
            level=str(raw["level"]),
            rule=str(raw["rule"]),
            check=check,
            spec=spec,
            steps=(scope,) if isinstance(scope, str) else tuple(scope),
            readings=str(raw.get("readings", "")),
        )

    @property
    def must(self) -> bool:
        """True for MUST (a failure fails the run)."""
        return self.level == "MUST"


@dataclass(frozen=True)
class Scenario:
    """A server block, the client set-up, steps and expectations."""

    name: str
    title: str
    steps: tuple[Step, ...]
    expect: tuple[Expectation, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    codes_matter: bool = True
    deadline: float = 60.0
    time_scale: float | None = None
    server: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)
    file: str = ""

    def variants(self, wanted: str) -> list[str]:
        """The variants to run for `wanted` (a VARIANTS name, or all)."""
        if wanted == "all":
            return ["body", "http", "strict"] if self.codes_matter else ["body", "strict"]
        return [wanted]
