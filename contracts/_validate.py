"""JSON Schema validators over the contract documents: one schema, read where it is written.

`component_validator("control", "FaultRule")` validates against `#/components/schemas/FaultRule`
of contracts/control-openapi.yaml, resolving every `$ref` inside that document (OpenAPI 3.1
schemas are JSON Schema 2020-12). `problems(validator, instance)` lists every error as
(dotted field, message), the field naming the offending key itself for unknown or missing keys.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from nemo_mock.contracts._load import control_openapi, openapi

_DOCUMENTS = {"api": openapi, "control": control_openapi}


@cache
def component_validator(document: str, name: str) -> Draft202012Validator:
    """A validator for the component schema `name` of the `api` or `control` document."""
    uri = f"urn:nemo-mock:{document}"
    resource = Resource.from_contents(_DOCUMENTS[document](), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{name}"}, registry=registry)


def problems(validator: Draft202012Validator, instance: Any) -> list[tuple[str, str]]:
    """Every schema error of `instance` as (field, message), in document order."""
    found = [_describe(e) for e in _leaves(validator.iter_errors(instance))]
    return sorted(set(found), key=lambda fm: (fm[0].count("."), fm))


def _leaves(errors: Any) -> list[ValidationError]:
    """The most specific errors: an `allOf`/`if` error is replaced by the errors under it."""
    out: list[ValidationError] = []
    for error in errors:
        if error.context and error.validator in ("allOf", "anyOf", "oneOf"):
            out.extend(_leaves(error.context))
        else:
            out.append(error)
    return out


def _describe(error: ValidationError) -> tuple[str, str]:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)
        return ".".join([*path, missing]), "is required"
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        return ".".join([*path, extra[0]]) if extra else ".".join(path), "unknown key"
    if "propertyNames" in error.relative_schema_path:
        return ".".join([*path, str(error.instance)]), "unknown key here"
    field = ".".join(path) or "(root)"
    if error.validator == "enum":
        return field, "must be one of " + ", ".join(str(v) for v in error.validator_value)
    return field, error.message
