"""The audit table: every expectation of a library, the rule it cites and the readings it
accepts, as the Markdown table published in scenarios/README.md (a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Sequence

from nemo_mock.scenarios._model import Scenario

HEADER = (
    "| scenario | expectation | level | rule cited | readings accepted |\n|---|---|---|---|---|"
)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "—"


def audit_table(library: Sequence[Scenario]) -> str:
    """One row per expectation, MUSTs and SHOULDs, in library order."""
    rows = [HEADER]
    for s in library:
        for e in s.expect:
            rows.append(
                f"| {s.name} | {e.id} | {e.level} | {_cell(e.rule)} | {_cell(e.readings)} |"
            )
    return "\n".join(rows)
