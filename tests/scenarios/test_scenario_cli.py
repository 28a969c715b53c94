"""`nemo-mock scenarios list|validate|run`: output, JUnit XML, exit status, and the deadline."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nemo_mock.cli import main
from nemo_mock.scenarios import CommandAdapter, load_library, parse, run_scenario

HERE = Path(__file__).parent / "broken_clients"


def test_list_names_every_scenario(capsys):
    """`scenarios list` prints each scenario with its MUST/SHOULD counts."""
    assert main(["scenarios", "list"]) == 0
    out = capsys.readouterr().out
    for s in load_library():
        assert s.name in out
    assert f"{len(load_library())} scenarios" in out


def test_validate_reports_file_line_field(tmp_path, capsys):
    """`scenarios validate FILE` exits 1 and prints file:line: field."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ntitle: t\nsteps:\n  - say: hi\nexpect:\n  - id: x\n    level: MUST\n"
        '    rule: "seeds §x: y"\n    exit: {equals: nope}\n'
    )
    assert main(["scenarios", "validate", str(bad)]) == 1
    assert f"{bad}:9: expect[0].exit.equals:" in capsys.readouterr().err


def test_unknown_name_is_a_usage_error(capsys):
    """An unknown scenario name exits 2 and suggests close names."""
    assert main(["scenarios", "run", "silent-close", "--client", "reference"]) == 2
    assert "did you mean" in capsys.readouterr().err


@pytest.mark.live
def test_run_reference_passes_and_writes_junit(tmp_path, capsys):
    """Exit 0 when every MUST passes; JUnit has one testcase per expectation and variant."""
    junit = tmp_path / "out.xml"
    code = main(
        [
            "scenarios",
            "run",
            "upload-4001-unsupported",
            "--client",
            "reference",
            "--variant",
            "all",
            "--junit",
            str(junit),
        ]
    )
    assert code == 0, capsys.readouterr().out
    root = ET.parse(junit).getroot()
    n = len(next(s for s in load_library() if s.name == "upload-4001-unsupported").expect)
    assert root.get("tests") == str(3 * n) and root.get("failures") == "0"  # body, http, strict
    assert "upload-4001-unsupported[http]" in capsys.readouterr().out


@pytest.mark.live
def test_run_exits_1_when_a_must_fails(tmp_path, capsys):
    """Exit 1 exactly when a MUST fails; the failure lands in the JUnit XML with its rule."""
    junit = tmp_path / "out.xml"
    client = f"{sys.executable} {HERE / 'broken_print_token.py'}"
    assert main(["scenarios", "run", "upload-url", "--client", client, "--junit", str(junit)]) == 1
    failures = ET.parse(junit).getroot().findall(".//failure")
    assert failures and any("token" in (f.get("message") or "") for f in failures)
    assert "FAIL" in capsys.readouterr().out


HANG = """\
name: hang
title: a client that never answers
deadline: 6
steps:
  - id: one
    say: "credits"
    deadline: 1.5
expect:
  - id: answers
    level: MUST
    rule: "seeds §Error Handling: | 0 | Success | Continue |"
    exit: {equals: 0}
"""


@pytest.mark.live
def test_a_hanging_client_is_killed_at_the_deadline():
    """A client that hangs is stopped at the step deadline (its whole process group) and fails."""
    scenario = parse(HANG, "hang.yaml")
    result = run_scenario(
        scenario, CommandAdapter(f"{sys.executable} {HERE / 'broken_hangs.py'}"), "body"
    )
    # the step's own deadline (1.5 s) applied, not what was left of the scenario's (6 s)
    assert result.steps[0].error == "killed after 1.5s without finishing"
    assert result.steps[0].timed_out and not result.passed
    assert result.failed_ids() == ["answers"]


NOISY = """\
import sys
for i in range(20):
    print(f"debug line {i}", file=sys.stderr)
print("Traceback: ValueError: the client broke here", file=sys.stderr)
sys.exit(0)
"""


@pytest.mark.live
def test_a_failing_row_shows_the_tail_of_the_clients_stderr(tmp_path, capsys):
    """Issue 13: when a command client fails a row, the table and JUnit show its stderr tail."""
    script = tmp_path / "noisy.py"
    script.write_text(NOISY, encoding="utf-8")
    junit = tmp_path / "out.xml"
    client = f"{sys.executable} {script}"
    assert main(["scenarios", "run", "upload-url", "--client", client, "--junit", str(junit)]) == 1
    table = capsys.readouterr().out
    assert "the client broke here" in table and "(stderr upload)" in table
    assert "debug line 0" not in table  # only the tail
    errs = [e.text or "" for e in ET.parse(junit).getroot().iter("system-err")]
    assert errs and all("the client broke here" in e for e in errs)
    failures = [f.text or "" for f in ET.parse(junit).getroot().iter("failure")]
    assert failures and "the client broke here" in failures[0]
