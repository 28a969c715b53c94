"""The journal as HAR 1.2 (GET /_mock/journal.har), for browser dev tools and HAR viewers.

The journal keeps request headers (tokens as fingerprints) and a request body summary, but not
response headers or bodies; the HAR carries what there is. Emulator-specific fields use HAR's
custom-field convention (a leading underscore): `_seq`, `_vtime`, `_vtime_end`, `_code`, `_faults`,
`_missing_attribution`, `_turn`, `_dropped`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from nemo_mock.server.strict_json import dumps, dumps_text

HAR_VERSION = "1.2"
CREATOR = {"name": "nemo-mock", "version": "0.1.0"}
_EXTRA = ("seq", "vtime", "vtime_end", "code", "faults", "missing_attribution", "turn", "dropped")


COMMENT = "Exported from the nemo_agent emulator's journal (virtual times in _vtime)."


def to_har(entries: Iterable[Mapping[str, Any]], default_host: str = "127.0.0.1") -> dict[str, Any]:
    """A HAR 1.2 document (`{"log": {...}}`) of journal entries."""
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": dict(CREATOR),
            "entries": [har_entry(e, default_host) for e in entries],
            "comment": COMMENT,
        }
    }


def har_bytes(entries_json: Iterable[bytes]) -> bytes:
    """The HAR document around entries already encoded (`dumps(har_entry(e))`), as `to_har`."""
    head = b'{"log":{"version":%s,"creator":%s,"entries":[' % (
        dumps(HAR_VERSION),
        dumps(CREATOR),
    )
    return head + b",".join(entries_json) + b'],"comment":' + dumps(COMMENT) + b"}}"


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="milliseconds")


def _reason(status: int | None) -> str:
    try:
        return HTTPStatus(status or 0).phrase
    except ValueError:
        return ""


def har_entry(e: Mapping[str, Any], default_host: str = "127.0.0.1") -> dict[str, Any]:
    """One journal entry as a HAR entry."""
    headers: Mapping[str, str] = e.get("headers") or {}
    host = headers.get("host", default_host)
    query = str(e.get("query") or "")
    url = f"http://{host}{e.get('path', '/')}" + (f"?{query}" if query else "")
    request: dict[str, Any] = {
        "method": str(e.get("method", "GET")),
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": str(v)} for k, v in headers.items()],
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": -1,
    }
    if e.get("body") is not None:
        text = dumps_text(e["body"])
        request["postData"] = {
            "mimeType": headers.get("content-type", "application/json"),
            "text": text,
        }
    status = e.get("status")
    mime = str(e.get("content_type") or "")
    response: dict[str, Any] = {
        "status": int(status) if status is not None else 0,  # HAR: 0 when no response arrived
        "statusText": _reason(status),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": "content-type", "value": mime}] if mime else [],
        "content": {"size": -1, "mimeType": mime},  # -1: the journal keeps no bodies
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1,
    }
    if status is not None and e.get("code") is not None:
        response["content"]["comment"] = f"envelope code {e['code']}"
    elapsed = max(float(e.get("duration_real") or 0.0) * 1000.0, 0.0)
    out: dict[str, Any] = {
        "startedDateTime": _iso(float(e.get("rtime") or 0.0)),
        "time": round(elapsed, 3),
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": round(elapsed, 3), "receive": 0},
    }
    for key in _EXTRA:
        if e.get(key) is not None:
            out[f"_{key}"] = e[key]
    return out
