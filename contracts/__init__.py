"""The contract as data: the OpenAPI documents, JSON Schemas, error catalogue, profiles and facts.

Imports nothing of this project's; the emulator, the client and the tests all read it.
"""

from nemo_mock.contracts._load import (
    ErrorSpec,
    Profile,
    control_openapi,
    errors,
    facts,
    json_schema,
    openapi,
    openapi_path,
    profile_for,
    profiles,
    supported_formats,
)
from nemo_mock.contracts._validate import component_validator, problems
from nemo_mock.contracts.draft import empty_draft, has_content, summary

__all__ = [
    "ErrorSpec",
    "Profile",
    "component_validator",
    "control_openapi",
    "empty_draft",
    "errors",
    "facts",
    "has_content",
    "json_schema",
    "openapi",
    "openapi_path",
    "problems",
    "profile_for",
    "profiles",
    "summary",
    "supported_formats",
]
