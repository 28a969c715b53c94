"""Request matchers shared by fault rules and journal verification.

A match is `{"method"?, "path"?, "path_regex"?, "header"?: {"name", "value"?}}`: `path` is a glob
(`/run_sse`, `/api/render/*`; `*` also crosses `/`), `path_regex` a regular expression searched in
the path (anchor it yourself), `header.value` a glob on the header's value (absent: the header only
has to be present). Every key is optional; an empty match matches everything.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class MatchError(ValueError):
    """A match (or rule) is malformed; `field` names the offending key (dotted)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class RequestMatch:
    """Which requests a rule or an expectation is about."""

    method: str | None = None
    path: str | None = None
    path_regex: str | None = None
    header_name: str | None = None
    header_value: str | None = None

    @classmethod
    def parse(cls, data: Any, where: str = "match") -> RequestMatch:
        """Validate `data` (a mapping); raises MatchError naming the field."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise MatchError(where, "must be an object")
        unknown = sorted(set(data) - {"method", "path", "path_regex", "header"})
        if unknown:
            raise MatchError(f"{where}.{unknown[0]}", "unknown key")
        method = data.get("method")
        if method is not None:
            if not isinstance(method, str) or (method.upper() not in (*METHODS, "*")):
                raise MatchError(f"{where}.method", f"must be one of {', '.join(METHODS)} or *")
            method = None if method == "*" else method.upper()
        path = data.get("path")
        if path is not None and (not isinstance(path, str) or not path.startswith(("/", "*"))):
            raise MatchError(f"{where}.path", "must be a path glob starting with / (e.g. /api/*)")
        regex = data.get("path_regex")
        if regex is not None:
            if not isinstance(regex, str):
                raise MatchError(f"{where}.path_regex", "must be a string")
            try:
                re.compile(regex)
            except re.error as exc:
                raise MatchError(f"{where}.path_regex", f"not a regular expression: {exc}") from exc
        name = value = None
        header = data.get("header")
        if header is not None:
            if not isinstance(header, Mapping):
                raise MatchError(f"{where}.header", "must be an object {name, value?}")
            name, value = header.get("name"), header.get("value")
            if not isinstance(name, str) or not name.strip():
                raise MatchError(f"{where}.header.name", "must be a non-empty string")
            if value is not None and not isinstance(value, str):
                raise MatchError(f"{where}.header.value", "must be a string")
            name = name.strip().lower()
        return cls(method, path, regex, name, value)

    def matches(self, method: str, path: str, headers: Mapping[str, str] | None = None) -> bool:
        """Does a request with this method, path and (lower-cased) headers match?"""
        if self.method is not None and method.upper() != self.method:
            return False
        if not self.path_matches(path):
            return False
        if self.header_name is not None:
            got = (headers or {}).get(self.header_name)
            if got is None:
                return False
            if self.header_value is not None and not fnmatch.fnmatchcase(got, self.header_value):
                return False
        return True

    def path_matches(self, path: str) -> bool:
        """The path part of the match alone."""
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return not (self.path_regex is not None and re.search(self.path_regex, path) is None)

    def to_json(self) -> dict[str, Any]:
        """The match as it was given (normalised)."""
        out: dict[str, Any] = {}
        if self.method:
            out["method"] = self.method
        if self.path is not None:
            out["path"] = self.path
        if self.path_regex is not None:
            out["path_regex"] = self.path_regex
        if self.header_name is not None:
            out["header"] = {"name": self.header_name}
            if self.header_value is not None:
                out["header"]["value"] = self.header_value
        return out

    def describe(self) -> str:
        """`POST /run_sse [x-skill-source: video-create]` for messages."""
        regex = f"~{self.path_regex}" if self.path_regex else ""
        text = f"{self.method or '*'} {self.path or ''}{regex}"
        if self.header_name:
            text += f" [{self.header_name}: {self.header_value or '*'}]"
        return text.strip() or "*"

    def similarity(self, method: str, path: str) -> float:
        """How close a request that did *not* match is (0..1): used to list similar requests."""
        pattern = self.path or self.path_regex or ""
        ratio = difflib.SequenceMatcher(None, pattern.replace("*", ""), path).ratio()
        if self.path_matches(path):
            ratio = 1.0
        same_method = self.method is None or method.upper() == self.method
        return ratio if same_method else ratio * 0.9
