"""Scenario results as report data for the HTML report (`nemo-mock scenarios run --html FILE`).

The drawing is `nemo_mock.report`'s; this module only turns `ScenarioResult`s into its plain data:
steps with their journal windows, the run's journal, and each expectation with its verdict and
the exchanges its evidence names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nemo_mock.report import write
from nemo_mock.scenarios._runner import ScenarioResult


def _pointers(verdict: object) -> dict[str, Any]:
    """Exact evidence pointers when a verdict carries them (else the report reads `#N`)."""
    seqs = getattr(verdict, "seqs", None)
    return {"seqs": [int(s) for s in seqs]} if seqs is not None else {}


def run_data(result: ScenarioResult) -> dict[str, Any]:
    """One scenario run as a report run (see nemo_mock.report._data)."""
    return {
        "id": result.id,
        "title": result.scenario.title,
        "client": result.client,
        "variant": result.variant,
        "passed": result.passed,
        "error": result.error,
        "steps": [
            {
                "id": s.id,
                "kind": s.kind,
                "label": s.label,
                "seq_from": s.seq_from,
                "seq_to": s.seq_to,
                "exit_code": s.exit_code,
                "timed_out": s.timed_out,
                "output": s.output,
                "error": s.error,
            }
            for s in result.steps
        ],
        "exchanges": result.journal,
        "expectations": [
            {
                "id": e.id,
                "level": e.level,
                "rule": e.rule,
                "passed": v.passed,
                "evidence": v.evidence,
                "steps": list(e.steps),
                **_pointers(v),
            }
            for e, v in result.verdicts
        ],
    }


def report_data(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    """The whole report's data."""
    clients = sorted({r.client for r in results})
    return {
        "title": "nemo-mock conformance",
        "subtitle": f"client {', '.join(clients) or '?'}",
        "runs": [run_data(r) for r in results],
    }


def write_html(results: Sequence[ScenarioResult], path: str | Path) -> Path:
    """Write the HTML report (token values become fingerprints)."""
    secrets = set().union(*(r.secrets for r in results)) if results else set()
    return write(report_data(results), path, secrets)
