"""Read scenario files: YAML → JSON Schema check → a `Scenario`, with errors that name file:line.

YAML node marks map a JSON-pointer path from the schema validator back to the line that holds the
offending field, so a malformed file says exactly where it is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from nemo_mock.scenarios._model import CHECKS, JOURNAL_CHECKS, Expectation, Scenario, Step
from nemo_mock.server import verify
from nemo_mock.server.matching import MatchError

LIBRARY = "library"


Problem = tuple[int | None, str, str]  # (line, field, message)


class ScenarioError(ValueError):
    """A scenario file is malformed: one line per problem, each naming file, line and field.

    `file`, `line` and `field` are those of the first problem; `problems` holds them all.
    """

    def __init__(
        self, file: str, line: int | None, field: str, message: str, more: Sequence[Problem] = ()
    ) -> None:
        self.file, self.line, self.field = file, line, field
        self.problems: list[Problem] = [(line, field, message), *more]
        super().__init__("\n".join(_where(file, *p) for p in self.problems))

    @classmethod
    def of(cls, file: str, problems: Sequence[Problem]) -> ScenarioError:
        """One error for every problem found in `file` (at least one)."""
        (line, field, message), *more = problems
        return cls(file, line, field, message, more)


def _where(file: str, line: int | None, field: str, message: str) -> str:
    where = f"{file}:{line}" if line else file
    return f"{where}: {field or '(top level)'}: {message}"


@cache
def schema() -> dict[str, Any]:
    """The scenario JSON Schema (scenarios/schema.json)."""
    text = (
        resources.files("nemo_mock.scenarios").joinpath("schema.json").read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def _node_at(root: yaml.Node | None, path: Sequence[str | int]) -> yaml.Node | None:
    """The deepest YAML node along `path` (mapping keys and sequence indexes)."""
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node = value
                    break
            else:
                return node
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return node
    return node


def _line(root: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    node = _node_at(root, path)
    return node.start_mark.line + 1 if node is not None else None


def _pointer(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_error(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The most specific error: descend into oneOf/anyOf branches that got furthest."""
    best = jsonschema.exceptions.best_match([error])
    while best.context:
        deeper = jsonschema.exceptions.best_match(best.context)
        if len(deeper.absolute_path) < len(best.absolute_path):
            break
        best = deeper
    return best


def parse(text: str, file: str = "<scenario>") -> Scenario:
    """Parse and validate one scenario; raises `ScenarioError` naming file, line and field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ScenarioError(file, line, "", f"not valid YAML: {exc.problem}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(
            file, 1, "", "a scenario is a mapping (name, title, steps, expect, ...)"
        )
    validator = jsonschema.Draft202012Validator(schema())
    problems: list[Problem] = []
    for error in validator.iter_errors(data):  # every error of the file, in line order
        err = _schema_error(error)
        path = list(err.absolute_path)
        problem = (_line(root, path), _pointer(path), _message(err))
        if problem not in problems:
            problems.append(problem)
    if problems:
        raise ScenarioError.of(file, sorted(problems, key=lambda p: (p[0] or 0, p[1])))
    return _build(data, root, file)


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        options = [
            sorted(s.get("required", [])) for s in err.validator_value if isinstance(s, dict)
        ]
        names = [o[0] for o in options if o]
        if names:
            return f"needs exactly one of {', '.join(names)}"
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        odd = [k for k in err.instance if not isinstance(k, str)]
        if odd:
            return (
                f'{err.message} — YAML reads on/off/yes/no as booleans: quote the key (e.g. "on":)'
            )
    return str(err.message)


def _build(data: dict[str, Any], root: yaml.Node | None, file: str) -> Scenario:
    problems: list[Problem] = []

    def fail(path: list[str | int], message: str) -> None:
        problems.append((_line(root, path), _pointer(path), message))

    if file.endswith((".yaml", ".yml")) and Path(file).stem != data["name"]:
        fail(["name"], f"must equal the file name {Path(file).stem!r}")
    steps: list[Step] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["steps"]):
        step = Step.from_dict(raw, index=i)
        if step.id in seen:
            fail(["steps", i, "id"], f"duplicate step id {step.id!r}")
        seen.add(step.id)
        steps.append(step)
    expects: list[Expectation] = []
    ids: set[str] = set()
    for i, raw in enumerate(data["expect"]):
        exp = Expectation.from_dict(raw)
        if exp.id in ids:
            fail(["expect", i, "id"], f"duplicate expectation id {exp.id!r}")
        ids.add(exp.id)
        for name in exp.steps:
            if name not in seen:
                fail(["expect", i, "steps"], f"no step with id {name!r}")
        for key in ("matches", "not_matches"):
            pattern = (raw.get("output") or {}).get(key)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    fail(["expect", i, "output", key], f"bad regular expression: {exc}")
        if exp.check in JOURNAL_CHECKS:
            try:  # what a schema cannot say (a regular expression that compiles)
                verify.parse(exp.spec)
            except MatchError as exc:
                field = [int(p) if p.isdigit() else p for p in exc.field.split(".")]
                fail(["expect", i, *field], str(exc).partition(": ")[2])
        assert exp.check in CHECKS
        expects.append(exp)
    if problems:
        raise ScenarioError.of(file, problems)
    return Scenario(
        name=data["name"],
        title=data["title"],
        description=data.get("description", ""),
        tags=tuple(data.get("tags", ())),
        codes_matter=bool(data.get("codes_matter", True)),
        deadline=float(data.get("deadline", 60.0)),
        time_scale=data.get("time_scale"),
        server=dict(data.get("server") or {}),
        client=dict(data.get("client") or {}),
        steps=tuple(steps),
        expect=tuple(expects),
        file=file,
    )


def load_file(path: str | Path) -> Scenario:
    """One scenario file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(p), None, "", f"cannot read: {exc.strerror}") from exc
    return parse(text, str(p))


def library_dir() -> Path:
    """The directory of the shipped scenario library."""
    return Path(str(resources.files("nemo_mock.scenarios").joinpath(LIBRARY)))


def load_library(directory: str | Path | None = None) -> list[Scenario]:
    """Every scenario in the library (or `directory`), sorted by name."""
    folder = Path(directory) if directory is not None else library_dir()
    return sorted((load_file(p) for p in folder.glob("*.yaml")), key=lambda s: s.name)
