"""Contract-check results as report data: one run whose expectations are the checks.

A check is a dict: `{"id", "level": "MUST"|"SHOULD", "status": "pass"|"fail"|"n/a", "evidence",
"rule"?, "seqs"?}` ("not applicable" only for an undeclared capability, DESIGN §9). When the
target's journal was readable, pass its entries as `exchanges` and the diagram shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def contract_report(
    checks: Iterable[Mapping[str, Any]],
    *,
    target: str,
    exchanges: Iterable[Mapping[str, Any]] = (),
    title: str = "nemo-mock contract check",
) -> dict[str, Any]:
    """Report data for `nemo_mock.report.render` from a list of contract-check results."""
    expectations = []
    for c in checks:
        status = str(c.get("status") or ("pass" if c.get("passed") else "fail"))
        expectations.append(
            {
                "id": str(c["id"]),
                "level": str(c.get("level", "MUST")),
                "rule": str(c.get("rule", "")),
                "status": status,
                "passed": status == "pass",
                "evidence": str(c.get("evidence", "")),
                **({"seqs": list(c["seqs"])} if c.get("seqs") is not None else {}),
            }
        )
    failed = any(e["status"] == "fail" and e["level"] == "MUST" for e in expectations)
    run = {
        "id": f"contract[{target}]",
        "title": f"{len(expectations)} checks against {target}",
        "client": "contract suite",
        "variant": "",
        "passed": not failed,
        "steps": [],
        "exchanges": [dict(e) for e in exchanges],
        "expectations": expectations,
    }
    return {"title": title, "subtitle": f"target {target}", "runs": [run]}
