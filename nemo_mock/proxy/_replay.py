"""Drift replay: send a recorded conversation again to another backend and compare structure.

Tokens are minted afresh (a new X-Client-Id for each one the recording used) and every id the
recording learnt from an answer (session, task, render, file) is mapped to the new answer's, so
the conversation makes sense to the new backend. Each exchange is then compared by structure
only: HTTP status, body code, media type, the set of fields and their JSON types, and for a
stream the kinds of its frames in order (heartbeats collapsed) and how it ended. Values (ids,
texts, times) are not compared; a field that is null on one side only is not a type change.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from nemo_mock.proxy._check import Checker
from nemo_mock.proxy._exchange import BODY_CAP, Exchange, SseReader, frame_kind, redact
from nemo_mock.proxy._record import Bundle
from nemo_mock.server.journal import fingerprint

_SKIP_HEADERS = {"host", "content-length", "authorization", "connection", "accept-encoding"}
_ID_FIELDS = ("session_id", "task_id", "file_id", "id")


@dataclass(frozen=True)
class Drift:
    """One structural difference of one exchange."""

    seq: int
    request: str
    kind: str  # status | code | media | field_missing | field_added | type | frames | end | skipped
    detail: str

    def line(self) -> str:
        """One line of the report."""
        return f"#{self.seq} {self.request}: {self.kind}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        """As --json prints it."""
        return {"seq": self.seq, "request": self.request, "kind": self.kind, "detail": self.detail}


def shape(value: Any, prefix: str = "") -> dict[str, str]:
    """Dotted field path -> JSON type, for every field (list items merged under `[]`)."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        out[prefix or "."] = "object"
        for k, v in value.items():
            out.update(shape(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list):
        out[prefix or "."] = "array"
        for item in value:
            out.update(shape(item, f"{prefix}[]"))
    else:
        out[prefix or "."] = _type(value)
    return out


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__


def _kinds(ex: Exchange) -> list[str]:
    out: list[str] = []
    for f in ex.frames or []:
        kind = frame_kind(f)
        if not (out and out[-1] == kind == "heartbeat"):
            out.append(kind)
    return [k for k in out if k != "heartbeat"]


def _media(ex: Exchange) -> str:
    return ex.content_type.split(";")[0].strip()


def diff(old: Exchange, new: Exchange) -> Iterator[tuple[str, str]]:
    """The structural differences of a recorded and a replayed exchange, as (kind, detail)."""
    if old.status != new.status:
        yield "status", f"HTTP {old.status} → {new.status}"
    if _media(old) != _media(new):
        yield "media", f"{_media(old) or '-'} → {_media(new) or '-'}"
    a, b = old.json(), new.json()
    if isinstance(a, dict) and isinstance(b, dict) and a.get("code") != b.get("code"):
        yield "code", f"{a.get('code')} → {b.get('code')}"
    if a is not None or b is not None:
        yield from _fields(shape(a), shape(b))
    if old.is_sse or new.is_sse:
        ka, kb = _kinds(old), _kinds(new)
        if ka != kb:
            yield "frames", f"{ka} → {kb}"
        if old.end != new.end:
            yield "end", f"{old.end} → {new.end}"


def _fields(a: dict[str, str], b: dict[str, str]) -> Iterator[tuple[str, str]]:
    nulled = {p for p, t in {**a, **b}.items() if a.get(p) == "null" or b.get(p) == "null"}

    def under_null(path: str) -> bool:
        return any(path.startswith(n + ".") or path.startswith(n + "[]") for n in nulled)

    for path in sorted(set(a) - set(b)):
        if not under_null(path):
            yield "field_missing", path
    for path in sorted(set(b) - set(a)):
        if not under_null(path):
            yield "field_added", path
    for path in sorted(set(a) & set(b)):
        if a[path] != b[path] and "null" not in (a[path], b[path]):
            yield "type", f"{path}: {a[path]} → {b[path]}"


class Replayer:
    """Re-plays a bundle against `base_url`; `run()` returns every drift found."""

    def __init__(
        self,
        bundle: Bundle,
        base_url: str,
        *,
        pace: bool = True,
        transport: httpx.BaseTransport | None = None,
        out: Callable[[str], None] | None = None,
    ) -> None:
        self.bundle = bundle
        self.http = httpx.Client(base_url=base_url, timeout=60.0, transport=transport)
        self.pace = pace
        self.out = out
        self.tokens: dict[str, str] = {}  # fingerprint -> new token
        self.ids: dict[str, str] = {}  # recorded id -> replayed id
        self.client_ids: dict[str, str] = {}
        self.drifts: list[Drift] = []
        # the new backend's answers are judged too (no heartbeat timing: the pace is not real)
        self.checker = Checker(heartbeat_seconds=None)

    def run(self) -> list[Drift]:
        """Send every recorded exchange in order (the control plane's are skipped)."""
        previous: float | None = None
        try:
            for ex in self.bundle.exchanges:
                if ex.path.startswith("/_mock"):
                    continue
                if self.pace and previous is not None:
                    time.sleep(min(max(ex.started - previous, 0.0), 30.0))
                previous = ex.started
                self._one(ex)
        finally:
            self.http.close()
        return self.drifts

    def _map(self, text: str) -> str:
        for old, new in self.ids.items():
            text = text.replace(old, new)
        return text

    def _headers(self, ex: Exchange) -> dict[str, str] | None:
        headers = {k: v for k, v in ex.request_headers.items() if k.lower() not in _SKIP_HEADERS}
        client = headers.get("x-client-id")
        if client is not None:
            headers["x-client-id"] = self.client_ids.setdefault(client, f"replay-{uuid.uuid4()}")
        fp = ex.token_fp()
        if fp is not None:
            token = self.tokens.get(fp)
            if token is None:
                return None
            headers["authorization"] = f"Bearer {token}"
        return headers

    def _body(self, ex: Exchange) -> bytes:
        body = ex.request_body
        req = ex.request_json()
        if ex.path == "/api/render/proxy/lambda" and isinstance(req, dict):
            old = req.get("id")
            if isinstance(old, str) and old not in self.ids:
                self.ids[old] = f"render_{int(time.time() * 1000)}{len(self.ids)}"
        if not body:
            return body
        try:
            return self._map(body.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return body

    def _one(self, ex: Exchange) -> None:
        request = f"{ex.method} {ex.path}"
        headers = self._headers(ex)
        if headers is None:
            self._drift(ex, request, "skipped", "its token was not minted in the recording")
            return
        if ex.request_size > BODY_CAP:
            self._drift(
                ex, request, "skipped", f"its body is larger than the {BODY_CAP} bytes kept"
            )
            return
        body = self._body(ex)
        path = self._map(ex.path) + (f"?{self._map(ex.query)}" if ex.query else "")
        new = Exchange(seq=ex.seq, started=time.time(), method=ex.method, path=self._map(ex.path))
        new.query = self._map(ex.query)
        new.request_headers = redact(list(headers.items()))
        new.request_body, new.request_size = body, len(body)
        t0 = time.monotonic()
        try:
            with self.http.stream(ex.method, path, headers=headers, content=body) as r:
                new.status = r.status_code
                new.response_headers = {k.lower(): v for k, v in r.headers.items()}
                if "text/event-stream" in new.content_type:
                    reader, new.frames = SseReader(), []
                    for chunk in r.iter_raw():
                        new.frames.extend(reader.feed(chunk, time.monotonic() - t0))
                    new.end = "cut" if reader.tail.strip() else "closed"
                else:
                    new.response_body = r.read()
                    new.response_size = len(new.response_body)
        except httpx.HTTPError as exc:
            new.end = "upstream_error"
            self._drift(ex, request, "end", f"{ex.end or 'answered'} → network error: {exc}")
            return
        for frame in new.frames or []:
            self.checker.frame(new, frame)
        self.checker.finish(new)
        self._learn(ex, new)
        for kind, detail in diff(ex, new):
            self._drift(ex, request, kind, detail)

    def _learn(self, old: Exchange, new: Exchange) -> None:
        a, b = old.json(), new.json()
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return
        da, db = a.get("data"), b.get("data")
        if not (isinstance(da, dict) and isinstance(db, dict)):
            return
        token_a, token_b = da.get("token"), db.get("token")
        if isinstance(token_a, str) and isinstance(token_b, str):
            self.tokens[token_a if token_a.startswith("tok_") else fingerprint(token_a)] = token_b
        for fa, fb in zip(da.get("files") or [], db.get("files") or [], strict=False):
            if isinstance(fa, dict) and isinstance(fb, dict):
                self._pair(fa.get("file_id"), fb.get("file_id"))
        for key in _ID_FIELDS:
            if key != "id" or old.path.startswith("/api/render"):
                self._pair(da.get(key), db.get(key))

    def _pair(self, old: Any, new: Any) -> None:
        if isinstance(old, str) and isinstance(new, str) and old and old != new:
            self.ids.setdefault(old, new)

    def _drift(self, ex: Exchange, request: str, kind: str, detail: str) -> None:
        d = Drift(ex.seq, request, kind, detail)
        self.drifts.append(d)
        if self.out is not None:
            self.out(d.line())


def report(drifts: list[Drift]) -> str:
    """The drift report as JSON text."""
    return json.dumps([d.to_json() for d in drifts], ensure_ascii=False, indent=1)
