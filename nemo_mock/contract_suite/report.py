"""The verdicts as text, as JSON (plain data for other tools) and as JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .registry import ERROR, FAIL, MUST, NA, SHOULD, VERDICTS, Result

JSON_FORMAT = "nemo-mock-contract/1"


def line(result: Result, width: int = 160) -> str:
    """One result as a line: verdict, level, id, seconds, and why (when it did not pass)."""
    head = f"{result.verdict.upper():<14} {result.level:<6} {result.id}  ({result.seconds:.2f} s)"
    why = " ".join(result.reason.split())
    room = max(60, width - len(head) - 3)
    return f"{head}  {why[:room]}{'...' if len(why) > room else ''}" if why else head


def counts(results: Iterable[Result]) -> dict[str, dict[str, int]]:
    """{level: {verdict: n}} for every level and verdict (zeros included)."""
    out = {level: dict.fromkeys(VERDICTS, 0) for level in (MUST, SHOULD)}
    for r in results:
        out[r.level][r.verdict] += 1
    return out


def summary(results: list[Result]) -> list[str]:
    """The closing lines: the evidence of what did not pass, then counts per verdict."""
    lines = []
    for r in results:
        if r.verdict in (FAIL, ERROR) or (r.verdict == NA and r.level == MUST):
            lines.append(f"{r.verdict.upper()} {r.level} {r.id}: {r.reason}")
            lines.extend(f"    {e}" for e in r.evidence[-6:])
    for level, row in counts(results).items():
        lines.append(f"{level}: " + ", ".join(f"{n} {verdict}" for verdict, n in row.items()))
    return lines


def as_json(results: list[Result], meta: Mapping[str, Any], exit_status: int) -> dict[str, Any]:
    """Everything a report builder needs: the run's metadata, each result, counts, exit status."""
    return {
        "format": JSON_FORMAT,
        **meta,
        "results": [r.as_dict() for r in results],
        "counts": counts(results),
        "exit_status": exit_status,
    }


def write_json(path: str, doc: Mapping[str, Any]) -> None:
    Path(path).write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_junit(path: str, results: list[Result], target: str) -> None:
    """JUnit XML: MUST fail → failure, error → error, n/a → skipped, SHOULD fail → skipped."""
    suite = ET.Element(
        "testsuite",
        name="nemo_agent contract",
        tests=str(len(results)),
        failures=str(sum(r.verdict == FAIL and r.level == MUST for r in results)),
        errors=str(sum(r.verdict == ERROR for r in results)),
        skipped=str(
            sum(r.verdict == NA or (r.verdict == FAIL and r.level == SHOULD) for r in results)
        ),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname=f"contract.{r.level}", name=r.id, time=f"{r.seconds:.3f}"
        )
        props = ET.SubElement(case, "properties")
        for name, value in (
            ("contract_target", target),
            ("contract_level", r.level),
            ("contract_verdict", r.verdict),
            ("contract_cites", json.dumps(r.cites, ensure_ascii=False)),
        ):
            ET.SubElement(props, "property", name=name, value=value)
        text = "\n".join([r.reason, *r.evidence])
        if r.verdict == FAIL and r.level == MUST:
            ET.SubElement(case, "failure", message=r.reason[:500]).text = text
        elif r.verdict == ERROR:
            ET.SubElement(case, "error", message=r.reason[:500]).text = text
        elif r.verdict == FAIL:
            ET.SubElement(case, "skipped", message=f"SHOULD failed: {r.reason[:480]}").text = text
        elif r.verdict == NA:
            ET.SubElement(case, "skipped", message=r.reason[:500])
        else:
            ET.SubElement(case, "system-out").text = "\n".join(r.evidence)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
