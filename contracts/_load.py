"""Read the contract files shipped in this package; every reader is cached."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


def _text(name: str) -> str:
    return resources.files("nemo_mock.contracts").joinpath(name).read_text(encoding="utf-8")


def _yaml(name: str) -> Any:
    return yaml.safe_load(_text(name))


@dataclass(frozen=True)
class ErrorSpec:
    """One catalogue entry: a wire code, what it means and what a client should do."""

    code: int
    name: str
    meaning: str
    message: str
    http_body: int
    http_http: int
    action: str
    assumption: str | None = None

    def http_status(self, mode: str) -> int:
        """HTTP status for this code under `error_status` mode `body` or `http`."""
        return self.http_http if mode == "http" else self.http_body


@dataclass(frozen=True)
class Profile:
    """A skill profile, selected by the request's X-Skill-Source."""

    source: str
    seed: str | None
    version: str | None
    max_upload_bytes: int
    session_language: str


@cache
def errors() -> dict[int, ErrorSpec]:
    """The error catalogue keyed by wire code."""
    out: dict[int, ErrorSpec] = {}
    for e in _yaml("errors.yaml")["errors"]:
        out[e["code"]] = ErrorSpec(
            code=e["code"],
            name=e["name"],
            meaning=e["meaning"],
            message=e.get("message", e["meaning"]),
            http_body=e["http"]["body"],
            http_http=e["http"]["http"],
            action=e["action"],
            assumption=e.get("assumption"),
        )
    return out


@cache
def profiles() -> dict[str, Profile]:
    """Skill profiles keyed by X-Skill-Source (plus `default`)."""
    raw = _yaml("profiles.yaml")
    return {
        p["source"]: Profile(
            source=p["source"],
            seed=p.get("seed"),
            version=p.get("version"),
            max_upload_bytes=int(p["max_upload_mb"]) * 1024 * 1024,
            session_language=p["session_language"],
        )
        for p in raw["profiles"]
    }


def profile_for(source: str | None) -> Profile:
    """The profile for an X-Skill-Source value; unknown or missing sources get the default."""
    table = profiles()
    return table.get(source or "", table["default"])


@cache
def facts() -> dict[str, Any]:
    """Numbers and lists of the API (formats, token rules, costs, timings) from facts.yaml."""
    data: dict[str, Any] = _yaml("facts.yaml")
    return data


@cache
def supported_formats() -> dict[str, str]:
    """Extension (lower case, no dot) -> media type (video, image, audio); aliases included."""
    f = facts()
    table = {ext: kind for kind, exts in f["supported_formats"].items() for ext in exts}
    for alias, target in f.get("format_aliases", {}).items():
        table[alias] = table[target]
    return table


@cache
def openapi() -> dict[str, Any]:
    """The API's OpenAPI document."""
    doc: dict[str, Any] = _yaml("openapi.yaml")
    return doc


@cache
def control_openapi() -> dict[str, Any]:
    """The control plane's (/_mock) OpenAPI document."""
    doc: dict[str, Any] = _yaml("control-openapi.yaml")
    return doc


@cache
def json_schema(name: str) -> dict[str, Any]:
    """A JSON Schema from contracts/schemas/, by file stem (e.g. `draft`, `adk_event`)."""
    doc: dict[str, Any] = json.loads(_text(f"schemas/{name}.json"))
    return doc


@cache
def openapi_path(operation_id: str) -> str:
    """The path template of an operation of the API document, by operationId."""
    for path, item in openapi()["paths"].items():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return str(path)
    raise KeyError(operation_id)
