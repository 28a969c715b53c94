"""The API's OpenAPI document as a lookup: which operation a request is, its response schemas."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema

from nemo_mock import contracts


@cache
def _operations() -> list[tuple[str, re.Pattern[str], str]]:
    out = []
    for path, item in contracts.openapi()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                out.append((method.upper(), pattern, str(op["operationId"])))
    return out


def operation_id(method: str, path: str) -> str | None:
    """The operationId of `method path` in contracts/openapi.yaml (None: not an API operation)."""
    for m, pattern, op in _operations():
        if m == method.upper() and pattern.match(path):
            return op
    return None


@cache
def _operation(op_id: str) -> dict[str, Any]:
    for item in contracts.openapi()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == op_id:
                return op
    raise KeyError(op_id)


def _deref(node: Any) -> Any:
    doc = contracts.openapi()
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def documented_statuses(op_id: str) -> set[int]:
    """HTTP statuses the operation documents."""
    return {int(s) for s in _operation(op_id).get("responses", {}) if s.isdigit()}


@cache
def _validator(op_id: str, status: int) -> jsonschema.protocols.Validator | None:
    response = _deref(_operation(op_id).get("responses", {}).get(str(status)))
    if not isinstance(response, dict):
        return None
    media = (response.get("content") or {}).get("application/json")
    if not isinstance(media, dict) or "schema" not in media:
        return None
    # refs like #/components/schemas/X resolve against this root, which carries the components
    root = {"components": contracts.openapi()["components"], "allOf": [media["schema"]]}
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    return cls(root)


def schema_errors(op_id: str, status: int, body: Any) -> list[str]:
    """Why `body` does not match the operation's JSON response schema for `status` (empty: ok)."""
    validator = _validator(op_id, status)
    if validator is None:
        return []
    errors = list(validator.iter_errors(body))
    if not errors:
        return []
    return [explain(errors)]


def explain(errors: list[jsonschema.ValidationError]) -> str:
    """The most specific reason among `errors` and their oneOf/anyOf branches.

    A branch that failed only because its `code` is another one (the error branch of a success,
    or the reverse) says nothing about the body, so those leaves are passed over when others exist.
    """
    leaves: list[jsonschema.ValidationError] = []
    stack = list(errors)
    while stack:
        e = stack.pop()
        if e.context:
            stack.extend(e.context)
        else:
            leaves.append(e)
    useful = [e for e in leaves if list(e.absolute_path) != ["code"]] or leaves
    best = max(useful, key=lambda e: len(e.absolute_path))
    return f"{best.message} at /{'/'.join(map(str, best.absolute_path))}"


def render_job_validator() -> jsonschema.protocols.Validator:
    """The RenderJob schema, for a bare (not enveloped) render status (v1.9: top-level status)."""
    return contracts.component_validator("api", "RenderJob")


@cache
def event_validator() -> jsonschema.protocols.Validator:
    """contracts/schemas/adk_event.json."""
    schema = contracts.json_schema("adk_event")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)
