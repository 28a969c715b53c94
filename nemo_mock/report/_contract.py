"""Contract-check results as report data: one run whose expectations are the checks.

A check is a dict. Either the plain shape `{"id", "level": "MUST"|"SHOULD", "status":
"pass"|"fail"|"n/a", "evidence": str, "rule"?, "seqs"?}`, or a result as `nemo-mock contract
--json` writes it (format `nemo-mock-contract/1`): `{"id", "level", "rule", "verdict": "pass" |
"fail" | "error" | "not applicable", "reason", "evidence": [str, ...]}`; an `error` (the check could
not get what it needed) counts as a failure, "not applicable" only for an undeclared capability
(DESIGN §9). When the target's journal was readable, pass its entries as `exchanges` and the
diagram shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

_VERDICTS = {"pass": "pass", "fail": "fail", "error": "fail", "not applicable": "n/a", "n/a": "n/a"}


def _expectation(c: Mapping[str, Any]) -> dict[str, Any]:
    verdict = str(c.get("status") or c.get("verdict") or ("pass" if c.get("passed") else "fail"))
    status = _VERDICTS.get(verdict, "fail")
    raw = c.get("evidence", "")
    lines = [str(x) for x in raw] if isinstance(raw, (list, tuple)) else [str(raw)]
    if c.get("reason"):
        lines.insert(0, str(c["reason"]))
    if verdict == "error":
        lines.insert(0, "error: the check could not get what it needed")
    out: dict[str, Any] = {
        "id": str(c["id"]),
        "level": str(c.get("level", "MUST")),
        "rule": str(c.get("rule", "")),
        "status": status,
        "passed": status == "pass",
        "evidence": "\n".join(line for line in lines if line),
    }
    if c.get("seqs") is not None:
        out["seqs"] = [int(s) for s in c["seqs"]]
    return out


def contract_report(
    checks: Iterable[Mapping[str, Any]],
    *,
    target: str,
    exchanges: Iterable[Mapping[str, Any]] = (),
    title: str = "nemo-mock contract check",
) -> dict[str, Any]:
    """Report data for `nemo_mock.report.render` from a list of contract-check results."""
    expectations = [_expectation(c) for c in checks]
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
