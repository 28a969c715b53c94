"""GET /_mock/journal.har: the journal as a valid HAR 1.2 document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from nemo_mock.server.fault_actions import ConnectionDropped
from tests.conftest import Api

# The HAR 1.2 format (http://www.softwareishard.com/blog/har-12-spec/) as JSON Schema: the
# required fields and their types, custom `_fields` allowed everywhere as the spec permits.
_NV = {
    "type": "object",
    "required": ["name", "value"],
    "properties": {
        "name": {"type": "string"},
        "value": {"type": "string"},
        "comment": {"type": "string"},
    },
}
HAR_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["log"],
    "properties": {
        "log": {
            "type": "object",
            "required": ["version", "creator", "entries"],
            "properties": {
                "version": {"type": "string", "const": "1.2"},
                "creator": {
                    "type": "object",
                    "required": ["name", "version"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
                },
                "browser": {"type": "object"},
                "pages": {"type": "array"},
                "comment": {"type": "string"},
                "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
            },
        }
    },
    "$defs": {
        "entry": {
            "type": "object",
            "required": ["startedDateTime", "time", "request", "response", "cache", "timings"],
            "properties": {
                "pageref": {"type": "string"},
                "startedDateTime": {
                    "type": "string",
                    "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$",
                },
                "time": {"type": "number", "minimum": 0},
                "request": {
                    "type": "object",
                    "required": [
                        "method",
                        "url",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "queryString",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "method": {"type": "string"},
                        "url": {"type": "string", "format": "uri"},
                        "httpVersion": {"type": "string"},
                        "cookies": {"type": "array"},
                        "headers": {"type": "array", "items": _NV},
                        "queryString": {"type": "array", "items": _NV},
                        "postData": {
                            "type": "object",
                            "required": ["mimeType"],
                            "properties": {
                                "mimeType": {"type": "string"},
                                "text": {"type": "string"},
                                "params": {"type": "array"},
                            },
                        },
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "response": {
                    "type": "object",
                    "required": [
                        "status",
                        "statusText",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "content",
                        "redirectURL",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "status": {"type": "integer"},
                        "statusText": {"type": "string"},
                        "httpVersion": {"type": "string"},
                        "cookies": {"type": "array"},
                        "headers": {"type": "array", "items": _NV},
                        "content": {
                            "type": "object",
                            "required": ["size", "mimeType"],
                            "properties": {
                                "size": {"type": "integer"},
                                "compression": {"type": "integer"},
                                "mimeType": {"type": "string"},
                                "text": {"type": "string"},
                                "encoding": {"type": "string"},
                            },
                        },
                        "redirectURL": {"type": "string"},
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "cache": {"type": "object"},
                "timings": {
                    "type": "object",
                    "required": ["send", "wait", "receive"],
                    "properties": {
                        k: {"type": "number", "minimum": -1}
                        for k in ("blocked", "dns", "connect", "send", "wait", "receive", "ssl")
                    },
                },
                "serverIPAddress": {"type": "string"},
                "connection": {"type": "string"},
                "comment": {"type": "string"},
            },
        }
    },
}


def _har(api: Api, query: str = "") -> dict[str, Any]:
    r = api.http.get("/_mock/journal.har" + query)
    assert r.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = r.json()
    return doc


def _busy(api: Api) -> None:
    token = api.token()
    api.session(token)
    api.http.get("/api/credits/balance/simple?x=1&y=", headers=api.headers(token))
    api.http.get("/api/credits/balance/simple")  # no token: 1001


def test_har_is_valid_har_1_2(make_api: Callable[..., Api]) -> None:
    """The export validates against the HAR 1.2 schema."""
    api = make_api()
    _busy(api)
    doc = _har(api)
    jsonschema.validate(doc, HAR_SCHEMA, format_checker=jsonschema.FormatChecker())
    assert len(doc["log"]["entries"]) == 4


def test_har_entries_carry_request_details(make_api: Callable[..., Api]) -> None:
    """Method, URL with query, headers, post data and the envelope code are exported."""
    api = make_api()
    _busy(api)
    entries = _har(api)["log"]["entries"]
    post = entries[1]
    assert post["request"]["method"] == "POST"
    assert post["request"]["url"] == "http://testserver/api/tasks/me/with-session/nemo_agent"
    assert '"task_name"' in post["request"]["postData"]["text"]
    get = entries[2]
    assert get["request"]["queryString"] == [
        {"name": "x", "value": "1"},
        {"name": "y", "value": ""},
    ]
    assert (entries[3]["response"]["status"], entries[3]["_code"]) == (200, 1001)


def test_har_never_shows_a_token(make_api: Callable[..., Api]) -> None:
    """Bearer tokens appear only as fingerprints in the export."""
    api = make_api()
    token = api.token()
    api.http.get("/api/credits/balance/simple", headers=api.headers(token))
    assert token not in api.http.get("/_mock/journal.har").text


def test_har_takes_the_journal_filters(make_api: Callable[..., Api]) -> None:
    """The same filters as /_mock/journal apply (method, path, code...)."""
    api = make_api()
    _busy(api)
    entries = _har(api, "?code=1001")["log"]["entries"]
    assert [e["_code"] for e in entries] == [1001]


def test_har_marks_faults_and_dropped_exchanges(make_api: Callable[..., Api]) -> None:
    """A dropped exchange has status 0 and the applied fault in `_faults`; still valid HAR."""
    api = make_api()
    api.http.post("/_mock/faults", json={"times": 1, "action": {"type": "drop"}})
    with pytest.raises(ConnectionDropped):
        api.token()
    doc = _har(api)
    jsonschema.validate(doc, HAR_SCHEMA)
    entry = doc["log"]["entries"][0]
    assert (entry["response"]["status"], entry["_dropped"]) == (0, True)
    assert entry["_faults"][0]["type"] == "drop"
