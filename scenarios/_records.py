"""What a scenario run recorded (steps, journal) and the verdicts on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepRecord:
    """What one step did: the client's output and exit code, and its journal window (seq_from,
    seq_to].
    """

    id: str
    kind: str
    label: str
    output: str = ""
    stderr: str = ""
    exit_code: int | None = None
    timed_out: bool = False
    error: str = ""
    seq_from: int = 0
    seq_to: int = 0
    seconds: float = 0.0

    @property
    def is_client(self) -> bool:
        """True when the client ran in this step."""
        return self.kind in ("say", "upload")


@dataclass
class RunRecord:
    """Everything a scenario run produced, for the checks to read."""

    steps: list[StepRecord] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def scope(self, names: Sequence[str]) -> tuple[list[StepRecord], list[dict[str, Any]]]:
        """The steps named (all when empty) and the journal entries inside their windows."""
        steps = [s for s in self.steps if not names or s.id in names]
        if not names:
            return steps, list(self.journal)
        windows = [(s.seq_from, s.seq_to) for s in steps]
        return steps, [e for e in self.journal if any(a < e["seq"] <= b for a, b in windows)]


@dataclass(frozen=True)
class Verdict:
    """Pass or fail, with the evidence (and the journal entries it names, when known)."""

    passed: bool
    evidence: str
    seqs: tuple[int, ...] | None = None
