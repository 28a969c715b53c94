"""Scenario files: the schema accepts the library and a malformed file names file, line and
field.
"""

from __future__ import annotations

import pytest

from nemo_mock import scenarios
from nemo_mock.scenarios import ScenarioError, parse

GOOD = """\
name: tiny
title: A tiny scenario
steps:
  - say: "credits"
expect:
  - id: ok
    level: MUST
    rule: "seeds §Error Handling: | 0 | Success | Continue |"
    exit: {equals: 0}
"""


def test_all_is_sorted_and_exported():
    """STYLE: the package re-exports a short, sorted __all__."""
    assert scenarios.__all__ == sorted(scenarios.__all__)
    for name in scenarios.__all__:
        assert hasattr(scenarios, name)


def test_a_good_file_parses():
    """A minimal scenario parses into steps and expectations."""
    s = parse(GOOD, "tiny.yaml")
    assert s.name == "tiny" and s.steps[0].kind == "say" and s.expect[0].check == "exit"


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        pytest.param("    level: MUST", "    level: MAYBE", 7, "expect[0].level", id="bad-level"),
        pytest.param(
            '  - say: "credits"', '  - shout: "credits"', 4, "steps[0]", id="unknown-step"
        ),
        pytest.param(
            "    exit: {equals: 0}",
            "    exit: {equals: zero}",
            9,
            "expect[0].exit.equals",
            id="bad-type",
        ),
        pytest.param(
            '    rule: "seeds', '    rule: "my opinion', 8, "expect[0].rule", id="uncited-rule"
        ),
        pytest.param(
            "    exit: {equals: 0}",
            "    exit: {equals: 0}\n    output: {contains: x}",
            6,
            "expect[0]",
            id="two-checks",
        ),
    ],
)
def test_malformed_file_names_file_line_and_field(old, new, line, field):
    """Issue: a malformed file gets a clear error naming the file, line and field."""
    with pytest.raises(ScenarioError) as info:
        parse(GOOD.replace(old, new), "bad.yaml")
    err = info.value
    assert (err.file, err.line, err.field) == ("bad.yaml", line, field), str(err)
    assert str(err).startswith(f"bad.yaml:{line}: {field}: ")


def test_yaml_syntax_error_has_a_line():
    """Broken YAML reports the line of the problem."""
    with pytest.raises(ScenarioError, match=r"^x.yaml:2: \(top level\): not valid YAML"):
        parse("name: x\ntitle: a: b\nsteps: []\n", "x.yaml")


def test_unquoted_on_key_gets_a_hint():
    """YAML 1.1 reads `on:` as a boolean; the error says to quote it."""
    text = GOOD.replace("    exit: {equals: 0}", "    headers: {names: [X-A], on: {method: GET}}")
    with pytest.raises(ScenarioError, match="quote the key"):
        parse(text, "on.yaml")


def test_expectation_scope_must_name_a_step():
    """`steps:` in an expectation must name an existing step id."""
    text = GOOD.replace("    exit: {equals: 0}", "    steps: nope\n    exit: {equals: 0}")
    with pytest.raises(ScenarioError, match="no step with id 'nope'") as info:
        parse(text, "tiny.yaml")
    assert info.value.line == 9


def test_name_must_match_file_name():
    """The scenario's name is its file name (so `run NAME` finds it)."""
    with pytest.raises(ScenarioError, match="must equal the file name 'other'"):
        parse(GOOD, "lib/other.yaml")


def test_bad_regex_is_reported():
    """An output regex that does not compile is a load error, not a run-time surprise."""
    text = GOOD.replace("    exit: {equals: 0}", '    output: {matches: "("}')
    with pytest.raises(ScenarioError, match="bad regular expression"):
        parse(text, "tiny.yaml")


def test_every_error_of_a_file_is_reported_at_once_with_its_line():
    """Issue 12: a file with several mistakes names each one (file:line: field), not the first."""
    bad = (
        GOOD.replace("level: MUST", "level: MAYBE")
        .replace('say: "credits"', "shout: credits")
        .replace("title: A tiny scenario\n", "")
    )
    with pytest.raises(ScenarioError) as caught:
        parse(bad, "tiny.yaml")
    fields = {field for _, field, _ in caught.value.problems}
    assert {"steps[0]", "expect[0].level"} <= fields
    assert any("title" in message for _, _, message in caught.value.problems)
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems) >= 3
    assert all(line.startswith("tiny.yaml:") for line in lines)
    assert "tiny.yaml:3: steps[0]" in str(caught.value)  # the title line is gone


def test_bad_path_regex_in_a_matcher_names_its_line():
    """A matcher's path_regex that does not compile is a load error at its line (one matcher)."""
    text = GOOD.replace(
        "    exit: {equals: 0}",
        '    spacing:\n      requests: {path_regex: "("}\n      min: 1',
    )
    with pytest.raises(ScenarioError) as caught:
        parse(text, "tiny.yaml")
    (line, field, message) = caught.value.problems[0]
    assert (line, field) == (10, "expect[0].spacing.requests.path_regex")
    assert "not a regular expression" in message


def test_header_pair_shape_is_accepted_in_a_file():
    """Scenario matchers also take `{name, value}`, the shape fault rules and /_mock/verify use."""
    text = GOOD.replace(
        "    exit: {equals: 0}",
        "    request: {header: {name: X-Client-Id, value: '*'}}",
    )
    assert parse(text, "tiny.yaml").expect[0].check == "request"
