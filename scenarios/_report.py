"""Report results: a table (scenario × expectation, MUST/SHOULD, pass/fail, evidence) and JUnit
XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nemo_mock.scenarios._runner import ScenarioResult


def _status(passed: bool, must: bool) -> str:
    if passed:
        return "[green]pass[/green]"
    return "[bold red]FAIL[/bold red]" if must else "[yellow]warn[/yellow]"


def table(results: Sequence[ScenarioResult], *, verbose: bool = False) -> Table:
    """One row per expectation (passing rows of passing scenarios folded unless `verbose`)."""
    t = Table(title="nemo-mock conformance", show_lines=False)
    t.add_column("scenario", no_wrap=True)
    t.add_column("expectation", no_wrap=True)
    t.add_column("level", no_wrap=True, width=6)
    t.add_column("result", no_wrap=True, width=6)
    t.add_column("evidence", overflow="fold", max_width=90)
    for r in results:
        if r.error:
            t.add_row(escape(r.id), "(set-up)", "MUST", _status(False, True), escape(r.error))
        if r.passed and not r.should_failures and not verbose:
            n = len(r.verdicts)
            t.add_row(
                escape(r.id),
                f"all {n}",
                "",
                _status(True, True),
                f"{n} expectations in {r.seconds:.1f}s",
            )
            continue
        for exp, verdict in r.verdicts:
            if verdict.passed and not verbose:
                continue
            t.add_row(
                escape(r.id),
                exp.id,
                exp.level,
                _status(verdict.passed, exp.must),
                escape(verdict.evidence),
            )
        if r.must_failures:
            for step_id, tail in stderr_tails(r):
                t.add_row(
                    escape(r.id),
                    f"(stderr {step_id})",
                    "",
                    "[yellow]note[/yellow]",
                    escape(tail),
                )
        for step in r.steps:
            if step.timed_out or step.error:
                t.add_row(
                    escape(r.id),
                    f"(step {step.id})",
                    "",
                    "[yellow]note[/yellow]",
                    escape((step.error or "timed out").strip().splitlines()[-1][:300]),
                )
    return t


STDERR_TAIL_LINES = 6


def stderr_tails(r: ScenarioResult, lines: int = STDERR_TAIL_LINES) -> list[tuple[str, str]]:
    """(step id, the last `lines` non-empty lines of its stderr) for each client step that wrote
    to stderr: the evidence a client author needs when a row fails.
    """
    out = []
    for s in r.steps:
        text = [line for line in (s.stderr or "").splitlines() if line.strip()]
        if s.is_client and text:
            out.append((s.id, "\n".join(line[:200] for line in text[-lines:])))
    return out


def summary(results: Sequence[ScenarioResult]) -> str:
    """`12/12 scenario runs passed every MUST; 3 SHOULD warnings; 45.1s`."""
    ok = sum(r.passed for r in results)
    musts = sum(len(r.must_failures) + bool(r.error) for r in results)
    shoulds = sum(len(r.should_failures) for r in results)
    secs = sum(r.seconds for r in results)
    return (
        f"{ok}/{len(results)} scenario runs passed every MUST; {musts} MUST failure(s), "
        f"{shoulds} SHOULD warning(s); {secs:.1f}s of runs"
    )


def print_report(
    results: Sequence[ScenarioResult], *, file: IO[str] | None = None, verbose: bool = False
) -> None:
    """Print the table and the summary line."""
    console = Console(file=file, width=160, soft_wrap=False)
    console.print(table(results, verbose=verbose))
    console.print(summary(results))


def junit(results: Sequence[ScenarioResult]) -> ET.ElementTree[ET.Element]:
    """JUnit XML: one testcase per (scenario[variant], expectation); SHOULD failures are not
    failures.
    """
    suites = ET.Element("testsuites", name="nemo-mock scenarios")
    suite = ET.SubElement(suites, "testsuite", name="nemo-mock scenarios")
    tests = failures = errors = 0
    total = 0.0
    for r in results:
        client = r.client
        if r.error:
            tests += 1
            errors += 1
            case = ET.SubElement(
                suite, "testcase", classname=r.id, name="set-up", time=f"{r.seconds:.3f}"
            )
            ET.SubElement(case, "error", message=r.error[:500]).text = r.error
        share = r.seconds / max(1, len(r.verdicts))
        for exp, verdict in r.verdicts:
            tests += 1
            case = ET.SubElement(
                suite, "testcase", classname=r.id, name=f"{exp.level} {exp.id}", time=f"{share:.3f}"
            )
            props = ET.SubElement(case, "properties")
            for key, value in (
                ("level", exp.level),
                ("rule", exp.rule),
                ("client", client),
                ("variant", r.variant),
            ):
                ET.SubElement(props, "property", name=key, value=value)
            if verdict.passed:
                ET.SubElement(case, "system-out").text = verdict.evidence
            elif exp.must:
                failures += 1
                ET.SubElement(case, "failure", message=verdict.evidence[:500], type="MUST").text = (
                    f"{exp.rule}\n\n{verdict.evidence}\n\n" + _steps_text(r)
                )
                tails = stderr_tails(r)
                if tails:
                    ET.SubElement(case, "system-err").text = "\n".join(
                        f"[{step_id}]\n{tail}" for step_id, tail in tails
                    )
            else:
                ET.SubElement(case, "system-out").text = f"SHOULD not met: {verdict.evidence}"
        total += r.seconds
    for el in (suites, suite):
        el.set("tests", str(tests))
        el.set("failures", str(failures))
        el.set("errors", str(errors))
        el.set("time", f"{total:.3f}")
    return ET.ElementTree(suites)


def _steps_text(r: ScenarioResult) -> str:
    lines = []
    for s in r.steps:
        head = f"[{s.id}] {s.label}"
        if s.is_client:
            head += f" → exit {s.exit_code}{' (timed out)' if s.timed_out else ''}"
        lines.append(head)
        lines += [f"    {line}" for line in s.output.splitlines()]
    for step_id, tail in stderr_tails(r):
        lines.append(f"[{step_id}] stderr (last {STDERR_TAIL_LINES} lines):")
        lines += [f"    {line}" for line in tail.splitlines()]
    return "\n".join(lines)


def write_junit(results: Sequence[ScenarioResult], path: str | Path) -> None:
    """Write the JUnit XML file."""
    tree = junit(results)
    ET.indent(tree)
    tree.write(str(path), encoding="utf-8", xml_declaration=True)
