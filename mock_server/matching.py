"""The one matcher language: which journal entries (or, for a fault rule, which requests) a rule
or an expectation is about.

Fault rules, `POST /_mock/verify`, the pytest plugin's `expect()` and the scenario files all speak
it (schemas `RequestMatch` and `EntryMatch` in contracts/control-openapi.yaml; the scenario schema
repeats `EntryMatch` as its `matcher`). Every key is optional and every given key must hold:

- `method` (upper case, `*` for any); `path` a glob (`*` also crosses `/`) or a list of globs (any
  of them); `path_not` the same, excluding; `path_regex` a regular expression searched in the path;
- `header`: `{name, value?}` (one header; `value` a glob, absent: present with any value) or
  `{Header-Name: glob, ...}` (each header present and matching; `"*"`: present). Names are
  case-insensitive. An object whose keys are `name` (and `value`) is the first shape;
- `missing_header`: a header the request did not carry;
- about the answer (journal entries only, not fault rules): `status`, `code`, `code_not`, `text`
  (the message text sent to /run_sse) and `fault` (true: a fault rule applied to the exchange).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from nemo_mock import contracts

Entry = Mapping[str, Any]
#: The keys a fault rule may use: what is known before the answer.
REQUEST_KEYS = ("method", "path", "path_not", "path_regex", "header", "missing_header")
#: The keys about the answer, for journal entries only.
ANSWER_KEYS = ("status", "code", "code_not", "text", "fault")


class MatchError(ValueError):
    """A match (or an expectation, or a rule) is malformed; `field` names the key (dotted)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def schema_error(document: str, name: str, data: Any, where: str) -> MatchError | None:
    """The first problem of `data` against a component schema of a contract, as a MatchError."""
    found = contracts.problems(contracts.component_validator(document, name), data)
    if not found:
        return None
    field, message = found[0]
    if field == "(root)":
        return MatchError(where or "body", message)
    return MatchError(f"{where}.{field}" if where else field, message)


def _globs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _headers(value: Any) -> tuple[tuple[str, str | None], ...]:
    """Both documented shapes, as (lower-case name, value glob or None for "present")."""
    if value is None:
        return ()
    if "name" in value and set(value) <= {"name", "value"}:
        return ((str(value["name"]).strip().lower(), value.get("value")),)
    return tuple((str(k).strip().lower(), None if v == "*" else str(v)) for k, v in value.items())


@dataclass(frozen=True)
class Matcher:
    """A predicate over journal entries (and, with request keys only, over live requests)."""

    method: str | None = None
    paths: tuple[str, ...] = ()
    paths_not: tuple[str, ...] = ()
    path_regex: str | None = None
    headers: tuple[tuple[str, str | None], ...] = ()
    missing_header: str | None = None
    status: int | None = None
    code: int | None = None
    code_not: int | None = None
    text: str | None = None
    fault: bool | None = None

    @classmethod
    def parse(cls, data: Any, where: str = "match", *, requests_only: bool = False) -> Matcher:
        """Validate `data` against the contract's schema; raises MatchError naming the field.

        `requests_only`: a fault rule's match (`RequestMatch`: no keys about the answer).
        """
        if data is None:
            return cls()
        problem = schema_error(
            "control", "RequestMatch" if requests_only else "EntryMatch", data, where
        )
        if problem is not None:
            raise problem
        regex = data.get("path_regex")
        if regex is not None:
            try:
                re.compile(regex)
            except re.error as exc:
                raise MatchError(f"{where}.path_regex", f"not a regular expression: {exc}") from exc
        method = data.get("method")
        missing = data.get("missing_header")
        return cls(
            method=None if method in (None, "*") else method,
            paths=_globs(data.get("path")),
            paths_not=_globs(data.get("path_not")),
            path_regex=regex,
            headers=_headers(data.get("header")),
            missing_header=None if missing is None else missing.strip().lower(),
            status=data.get("status"),
            code=data.get("code"),
            code_not=data.get("code_not"),
            text=data.get("text"),
            fault=data.get("fault"),
        )

    # -- matching ---------------------------------------------------------------------------
    def matches_request(self, method: str, path: str, headers: Mapping[str, str]) -> bool:
        """The request keys alone, on a live request (lower-case header names)."""
        if self.method is not None and method.upper() != self.method:
            return False
        if not self.path_matches(path):
            return False
        for name, glob in self.headers:
            got = headers.get(name)
            if got is None or (glob is not None and not fnmatchcase(got, glob)):
                return False
        return self.missing_header is None or self.missing_header not in headers

    def matches(self, entry: Entry) -> bool:
        """Does this journal entry satisfy every given key?"""
        headers = entry.get("headers") or {}
        if not self.matches_request(str(entry.get("method", "")), _path(entry), headers):
            return False
        if self.status is not None and entry.get("status") != self.status:
            return False
        if self.code is not None and entry.get("code") != self.code:
            return False
        if self.code_not is not None and entry.get("code") == self.code_not:
            return False
        if self.text is not None and sse_text(entry) != self.text:
            return False
        return self.fault is None or bool(entry.get("faults")) == self.fault

    def path_matches(self, path: str) -> bool:
        """The path keys alone."""
        if self.paths and not any(fnmatchcase(path, p) for p in self.paths):
            return False
        if any(fnmatchcase(path, p) for p in self.paths_not):
            return False
        return self.path_regex is None or re.search(self.path_regex, path) is not None

    def similarity(self, entry: Entry) -> float:
        """How close an entry that did *not* match comes (0..1): for "similar requests"."""
        path = _path(entry)
        pattern = (self.paths[0] if self.paths else None) or self.path_regex or ""
        ratio = difflib.SequenceMatcher(None, pattern.replace("*", ""), path).ratio()
        if self.path_matches(path):
            ratio = 1.0
        method = str(entry.get("method", "")).upper()
        return ratio if self.method is None or method == self.method else ratio * 0.9

    # -- showing ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The canonical JSON form (one glob: a string; one header: `{name, value?}`)."""
        out: dict[str, Any] = {}
        if self.method:
            out["method"] = self.method
        for key, globs in (("path", self.paths), ("path_not", self.paths_not)):
            if globs:
                out[key] = globs[0] if len(globs) == 1 else list(globs)
        if self.path_regex is not None:
            out["path_regex"] = self.path_regex
        if len(self.headers) == 1:
            name, glob = self.headers[0]
            out["header"] = {"name": name} if glob is None else {"name": name, "value": glob}
        elif self.headers:
            out["header"] = {name: "*" if glob is None else glob for name, glob in self.headers}
        for key in ("missing_header", *ANSWER_KEYS):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def describe(self) -> str:
        """`POST /run_sse code=1001 [x-skill-source: video-create]`, for messages."""
        words = [self.method or "*", "|".join(self.paths) or "*"]
        if self.path_regex is not None:
            words.append(f"~/{self.path_regex}/")
        words += [f"not {p}" for p in self.paths_not]
        words += [f"{k}={getattr(self, k)!r}" for k in ANSWER_KEYS if getattr(self, k) is not None]
        words += [f"[{name}: {glob or '*'}]" for name, glob in self.headers]
        if self.missing_header:
            words.append(f"[no {self.missing_header}]")
        return " ".join(words)


def _path(entry: Entry) -> str:
    return str(entry.get("path", ""))


# -- what a journal entry says --------------------------------------------------------------
def sse_text(entry: Entry) -> str | None:
    """The message text of a /run_sse request, from the journal's body summary."""
    body = entry.get("body")
    if not isinstance(body, dict):
        return None
    message = body.get("new_message") or body.get("newMessage")
    if not isinstance(message, dict):
        return None
    parts = message.get("parts")
    if not isinstance(parts, list):
        return None
    texts = [str(p.get("text")) for p in parts if isinstance(p, dict) and p.get("text") is not None]
    return "".join(texts) if texts else None


def streamed(entry: Entry) -> bool:
    """The exchange was answered with an event stream."""
    return str(entry.get("content_type", "")).startswith("text/event-stream")


def refused_before_stream(entry: Entry) -> bool:
    """A /run_sse answered with a JSON error envelope before any stream started.

    Such a request (1001, 1002, 2001, a malformed body) never reached the agent: sending the
    message again afterwards (to a new session, with a fresh token) is not a re-send.
    """
    code = entry.get("code")
    return not streamed(entry) and not entry.get("dropped") and code not in (None, 0)


def field_at(entry: Entry, dotted: str) -> Any:
    """A journal field by dotted path (`body.id`); None when any part is missing."""
    value: Any = entry
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value
