"""The end-of-run table: one row per check and target, with its level, verdict and evidence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .registry import SHOULD, Result

if TYPE_CHECKING:
    from .target import Target

PROP = "contract_check"


def rows(reports: Iterable[Any]) -> list[dict[str, str]]:
    """Rows from pytest reports that carry the contract properties (works across xdist workers)."""
    out: dict[str, dict[str, str]] = {}
    for rep in reports:
        props = dict(getattr(rep, "user_properties", []) or [])
        if PROP not in props or getattr(rep, "when", "") not in ("call", "setup"):
            continue
        if rep.when == "setup" and not rep.skipped and not rep.failed:
            continue
        verdict = props.get("contract_result")
        if not verdict:
            verdict = "not applicable" if rep.skipped else ("fail" if rep.failed else "pass")
        out[rep.nodeid] = {
            "check": props[PROP],
            "target": props.get("contract_target", "?"),
            "level": props.get("contract_level", "?"),
            "result": verdict,
            "evidence": props.get("contract_evidence", ""),
        }
    return sorted(out.values(), key=lambda r: (r["target"], r["check"]))


def render(table: list[dict[str, str]], width: int = 160) -> list[str]:
    """The table as text lines, then a summary per level."""
    if not table:
        return []
    cw = max(len(r["check"]) for r in table)
    tw = max(len(r["target"]) for r in table)
    lines = [f"{'check':<{cw}}  {'target':<{tw}}  {'level':<6}  {'result':<14}  evidence"]
    for r in table:
        ev = " ".join(r["evidence"].split())
        room = max(100, width - cw - tw - 30)
        lines.append(
            f"{r['check']:<{cw}}  {r['target']:<{tw}}  {r['level']:<6}  {r['result']:<14}  "
            f"{ev[:room]}{'...' if len(ev) > room else ''}"
        )
    for level in ("MUST", "SHOULD"):
        mine = [r["result"] for r in table if r["level"] == level]
        counts = {k: mine.count(k) for k in ("pass", "fail", "not applicable", "known gap")}
        lines.append(
            f"{level}: " + ", ".join(f"{v} {k}" for k, v in counts.items() if v or k != "known gap")
        )
    return lines


def record(node: Any, target: Target, result: Result) -> None:
    """Attach the verdict to the test report.

    xdist carries it; --junitxml writes it as properties.
    """
    evidence = result.reason or "; ".join(result.evidence[-3:])
    if result.status == "pass" and result.evidence:
        evidence = "; ".join(result.evidence[-3:])
    node.user_properties.extend(
        [
            ("contract_check", result.id),
            ("contract_level", result.level),
            ("contract_target", target.label),
            ("contract_evidence", evidence[:2000]),
            ("contract_seconds", result.seconds),
        ]
    )
    if not any(k == "contract_result" for k, _ in node.user_properties):
        node.user_properties.append(("contract_result", result.status))
    if result.level == SHOULD and result.status == "fail":
        node.user_properties[:] = [
            (k, v) for k, v in node.user_properties if k != "contract_result"
        ]
        node.user_properties.append(("contract_result", "fail"))
