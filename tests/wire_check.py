"""The wire check: every answer the emulator sends during the tests, held against the contract.

`WireContract.problems(...)` says how one HTTP answer (status, headers, body bytes) departs from
contracts/openapi.yaml (or control-openapi.yaml under /_mock): the operation found by method and
path, the response by status, the media type by Content-Type, the JSON body by the response's
schema (JSON Schema 2020-12, the OpenAPI 3.1 dialect), an event stream frame by frame
(schemas/adk_event.json for each JSON frame, the documented heartbeat forms for the others), and
Content-Length against the bytes sent. `checking(call, log)` wraps an ASGI app's `__call__` so
every answer is checked when it ends; answers shaped by an injected fault are skipped (a fault
breaks the contract on purpose) and counted.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema
import referencing
from referencing.jsonschema import DRAFT202012

from nemo_mock import contracts

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SSE_TYPE = "text/event-stream"


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    literal: int  # characters outside {params}: the more, the more specific
    pointer: str  # JSON Pointer of the operation in its document


class WireContract:
    """One OpenAPI document, ready to check answers against."""

    def __init__(self, doc: dict[str, Any], uri: str) -> None:
        self.doc, self.uri = doc, uri
        resource = referencing.Resource.from_contents(doc, default_specification=DRAFT202012)
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            uri, resource
        )
        self.routes: list[_Route] = []
        for path, item in doc["paths"].items():
            regex = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"
            literal = len(re.sub(r"{[^}]+}", "", path))
            for method in METHODS:
                if method in item:
                    pointer = f"/paths/{_escape(path)}/{method}"
                    self.routes.append(_Route(method, re.compile(regex), literal, pointer))
        self.routes.sort(key=lambda r: -r.literal)
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}
        event_schema = contracts.json_schema("adk_event")
        self.frame_validator = jsonschema.Draft202012Validator(event_schema)
        # what an undocumented path or method answers: the document's error envelope
        self.error_pointer = (
            "/components/schemas/Error"
            if "Error" in doc["components"].get("schemas", {})
            else "/components/responses/Error/content/application~1json/schema"
        )
        stream = doc.get("x-heartbeats")
        self.heartbeats: tuple[bytes, ...] = tuple(h.encode() for h in stream or ())

    def node(self, pointer: str) -> Any:
        """The node at `pointer`, its `$ref` chain followed; (node, its own pointer)."""
        return self._follow(pointer)[0]

    def _follow(self, pointer: str) -> tuple[Any, str]:
        node: Any = self.doc
        for part in pointer.lstrip("/").split("/") if pointer else []:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = self._follow(pointer)[0]
        return node, pointer

    def validator(self, pointer: str) -> jsonschema.Draft202012Validator:
        """A 2020-12 validator for the schema at `pointer` (cached)."""
        found = self._validators.get(pointer)
        if found is None:
            found = jsonschema.Draft202012Validator(
                {"$ref": f"{self.uri}#{pointer}"}, registry=self._registry
            )
            self._validators[pointer] = found
        return found

    def operation(self, method: str, path: str) -> tuple[str | None, bool]:
        """(pointer of the operation, whether the path is documented under any method)."""
        known = False
        for route in self.routes:
            if route.pattern.match(path):
                known = True
                if route.method == method.lower():
                    return route.pointer, True
        return None, known

    def problems(
        self, method: str, path: str, status: int, headers: dict[str, str], body: bytes
    ) -> list[str]:
        """How this answer departs from the document ([] when it conforms)."""
        out: list[str] = []
        length = headers.get("content-length", "")
        if method != "HEAD" and length.isdigit() and int(length) != len(body):
            out.append(f"Content-Length {length} but {len(body)} bytes were sent")
        ctype = headers.get("content-type", "")
        media = ctype.split(";")[0].strip().lower()
        op, known = self.operation(method, path)
        if op is None and method == "HEAD":  # RFC 9110: HEAD is GET without the body
            op, known = self.operation("GET", path)
        if op is None:
            # no operation describes it: an unknown path (404) or method (405), in the envelope
            want = 405 if known else 404
            if status != want:
                return [*out, f"undocumented {method} {path} answered {status}, not {want}"]
            return out + self._json(body, self.error_pointer, ctype)
        responses = self.node(op + "/responses")
        key = next(
            (k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None
        )
        if key is None:
            return [*out, f"status {status} is not documented for {method} {path}"]
        response, rpointer = self._follow(f"{op}/responses/{_escape(key)}")
        content = response.get("content") or {}
        if not content:
            return out  # a response without a documented body (e.g. 416)
        if media not in content:
            return [*out, f"content type {ctype!r} is not documented for {status} ({key})"]
        if method == "HEAD":
            return out
        if media == SSE_TYPE:
            return out + self.stream(body, ctype)
        if media == "application/json":
            return out + self._json(body, f"{rpointer}/content/{_escape(media)}/schema", ctype)
        return out

    def _json(self, body: bytes, pointer: str, ctype: str) -> list[str]:
        if not ctype.startswith("application/json"):
            return [f"expected a JSON body, got content type {ctype!r}"]
        try:
            value = json.loads(body)
        except ValueError as exc:
            return [f"body is not JSON ({exc}): {body[:200]!r}"]
        return [_describe(e) for e in self.validator(pointer).iter_errors(value)][:5]

    def stream(self, body: bytes, ctype: str) -> list[str]:
        """Problems of an event stream: framing, each JSON frame, each heartbeat."""
        out = []
        if ctype.replace(" ", "").lower() != "text/event-stream;charset=utf-8":
            out.append(f"stream content type {ctype!r}, not text/event-stream; charset=utf-8")
        if b"\r" in body:
            out.append("the stream contains CR (frames are LF-only)")
        blocks = body.split(b"\n\n")
        if blocks[-1]:
            out.append(f"the stream ends inside a frame: {blocks[-1][:80]!r}")
        for block in blocks[:-1]:
            out += self.frame(block)
        return out

    def frame(self, block: bytes) -> list[str]:
        """Problems of one frame (its bytes without the blank line that ends it)."""
        if block.startswith(b":") or block == b"data: ":
            if self.heartbeats and block + b"\n\n" not in self.heartbeats:
                return [f"heartbeat {block!r} is not one of the documented forms"]
            return []
        if not block.startswith(b"data: ") or b"\n" in block:
            return [f"frame is not a single `data: <JSON>` line: {block[:120]!r}"]
        try:
            value = json.loads(block[len(b"data: ") :])
        except ValueError:
            return [f"frame data is not JSON: {block[:120]!r}"]
        return ["frame: " + _describe(e) for e in self.frame_validator.iter_errors(value)][:5]


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {where}: {error.message[:300]}"


@cache
def api_contract() -> WireContract:
    """The API's document (contracts/openapi.yaml)."""
    doc = contracts.openapi()
    media = doc["paths"]["/run_sse"]["post"]["responses"]["200"]["content"][SSE_TYPE]
    return WireContract({**doc, "x-heartbeats": media["x-heartbeats"]}, "urn:nemo-mock:api")


@cache
def control_contract() -> WireContract:
    """The control plane's document (contracts/control-openapi.yaml)."""
    return WireContract(contracts.control_openapi(), "urn:nemo-mock:control")


def contract_for(path: str) -> WireContract:
    """The document that describes `path`."""
    return control_contract() if path.startswith("/_mock") else api_contract()


@dataclass
class Mismatch:
    """One answer that departs from the contract."""

    method: str
    path: str
    status: int
    problems: list[str]

    def __str__(self) -> str:
        lines = "\n    ".join(self.problems)
        return f"{self.method} {self.path} -> {self.status}:\n    {lines}"


@dataclass
class WireLog:
    """What the check found, shared by every app of the test process (thread-safe)."""

    mismatches: list[Mismatch] = field(default_factory=list)
    checked: int = 0
    skipped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, mismatch: Mismatch | None, *, skipped: bool = False) -> None:
        with self._lock:
            self.checked += 1
            self.skipped += skipped
            if mismatch is not None:
                self.mismatches.append(mismatch)

    def since(self, index: int) -> list[Mismatch]:
        with self._lock:
            return list(self.mismatches[index:])


def check_answer(
    scope: dict[str, Any], status: int, raw_headers: list[tuple[bytes, bytes]], body: bytes
) -> Mismatch | None:
    """The mismatch of one finished answer, or None."""
    headers: dict[str, str] = {}
    for key, value in raw_headers:
        headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
    path, method = scope["path"], scope["method"]
    problems = contract_for(path).problems(method, path, status, headers, body)
    return Mismatch(method, path, status, problems) if problems else None


ASGICall = Callable[[Any, dict[str, Any], Any, Any], Awaitable[None]]


def checking(call: ASGICall, log: WireLog) -> ASGICall:
    """`call` (an ASGI app's `__call__`) with every HTTP answer checked when it ends."""

    async def checked(self: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await call(self, scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await call(self, scope, receive, capture)
        finally:
            entry = scope.get("state", {}).get("journal_entry", {})
            if not start:
                log.add(None, skipped=True)  # no answer at all (a dropped connection)
            elif (
                entry.get("faults")
                or entry.get("dropped")
                or entry.get("turn", {}).get("truncated")
            ):
                log.add(None, skipped=True)
            else:
                body = b"".join(chunks)
                log.add(check_answer(scope, start["status"], start.get("headers", []), body))

    return checked
