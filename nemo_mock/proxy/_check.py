"""The validator: every exchange checked against contracts/ as it passes (rules in _rules.py).

`Checker` keeps what a judgement across exchanges needs (who owns which session, how far each
render got) and calls `report` for each violation as soon as it is found, so a stream's broken
frame is printed while the stream still runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from nemo_mock import contracts
from nemo_mock.proxy import _openapi
from nemo_mock.proxy._exchange import BODY_CAP, Exchange, Frame
from nemo_mock.proxy._rules import Violation
from nemo_mock.server.journal import fingerprint

TTL = float(contracts.facts()["token"]["ttl_seconds"])
EXPIRY_SLACK = 5.0  # seconds of the upstream's clock: the mint and the check are not one instant
RENDER_RANK = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
# codes that answer an upload before its files are looked at, or for another reason than the type
_UPLOAD_OTHER = {4001, 4002, 1001, 1002, 2001, 429}
_FILENAME = re.compile(rb'filename="([^"]*)"')
_SESSION_PATH = re.compile(r"^/api/(?:upload-video|state)/nemo_agent/me/([^/]+)")
_RENDER_POLL = re.compile(r"^/api/render/proxy/lambda/([^/]+)$")
# the formats of the seeds' list, without our jpeg ASSUMPTION: only those are known to be supported
_SEED_FORMATS = {e for exts in contracts.facts()["supported_formats"].values() for e in exts}
_ALIASES = set(contracts.facts().get("format_aliases", {}))


class Checker:
    """Validates exchanges; `violations` holds every one found so far."""

    def __init__(
        self,
        heartbeat_seconds: float | None = None,
        report: Callable[[Violation], None] | None = None,
    ) -> None:
        self.heartbeat_seconds = heartbeat_seconds  # real seconds; None: spacing not checked
        self.report = report
        self.violations: list[Violation] = []
        self.owners: dict[str, str] = {}  # session id -> principal
        self.principals: dict[str, str] = {}  # token fingerprint -> X-Client-Id it was minted for
        self.expiry: dict[str, float] = {}  # token fingerprint -> upstream time it expires at
        self.renders: dict[tuple[str | None, str], tuple[int, float, str]] = {}
        self._last_at: dict[int, float] = {}

    def _add(self, rule: str, ex: Exchange, message: str) -> None:
        v = Violation(rule, ex.seq, message)
        self.violations.append(v)
        if self.report is not None:
            self.report(v)

    # -- streams, frame by frame -------------------------------------------------------------
    def frame(self, ex: Exchange, frame: Frame) -> None:
        """Check one SSE block as it arrives."""
        self._spacing(ex, frame.at)
        for issue in frame.issues:
            self._add("sse.framing", ex, issue)
        if frame.kind == "bad":
            self._add("sse.data_json", ex, f"a data frame that is not JSON: {frame.raw[:80]!r}")
        elif frame.kind == "json":
            errors = list(_openapi.event_validator().iter_errors(frame.data))
            if errors:
                self._add("sse.event_schema", ex, _openapi.explain(errors))

    def _spacing(self, ex: Exchange, at: float) -> None:
        last = self._last_at.get(ex.seq, 0.0)
        self._last_at[ex.seq] = at
        if self.heartbeat_seconds is None:
            return
        limit = self.heartbeat_seconds * 1.5 + 0.25
        if at - last > limit:
            self._add(
                "sse.heartbeat_spacing",
                ex,
                f"{at - last:.2f} s without a frame or heartbeat (interval "
                f"{self.heartbeat_seconds:.2f} s real)",
            )

    # -- whole exchanges ---------------------------------------------------------------------
    def finish(self, ex: Exchange) -> None:
        """Check a finished exchange (for a stream: how it ended)."""
        if ex.path.startswith("/_mock") or ex.end == "proxy_error":
            return  # the control plane is ours, not the backend's contract
        op = _openapi.operation_id(ex.method, ex.path)
        if op is None:
            return
        if ex.is_sse:
            self._stream_end(ex)
        elif op == "runSse" and ex.status == 200 and "json" not in ex.content_type:
            self._add("sse.content_type", ex, f"HTTP 200 with content-type {ex.content_type!r}")
        if not ex.is_sse:
            self._json(ex, op)
        self._owner(ex, op)

    def _stream_end(self, ex: Exchange) -> None:
        if self.heartbeat_seconds is not None and ex.end == "closed":
            self._spacing(ex, ex.seconds)
        self._last_at.pop(ex.seq, None)
        if ex.end in ("cut", "upstream_error"):
            what = f"inside a frame ({ex.tail[:40]!r})" if ex.tail else "by a network error"
            self._add("sse.cut", ex, f"the stream ended {what}")

    def _json(self, ex: Exchange, op: str) -> None:
        binary = op in ("renderDownload", "media", "claimPage", "openapiJson")
        if binary and "json" not in ex.content_type:
            if ex.status >= 500:
                self._add("envelope.json", ex, f"HTTP {ex.status} {ex.content_type!r}")
            return
        body = ex.json()
        if ex.response_size > BODY_CAP:
            return  # too large to judge
        if op == "renderStatus" and isinstance(body, dict) and "code" not in body:
            self._bare_render(ex, body)
            return
        if not isinstance(body, dict) or isinstance(body.get("code"), bool):
            self._add(
                "envelope.json", ex, f"HTTP {ex.status} {ex.content_type!r}: not a JSON object"
            )
            return
        code = body.get("code")
        if not isinstance(code, int):
            self._add("envelope.json", ex, f"no integer `code`: keys {sorted(body)}")
            return
        if code == 0 and "data" not in body:
            self._add("envelope.json", ex, "a success without `data`")
        if not isinstance(body.get("message"), str):
            self._add("envelope.message", ex, f"no string `message`: keys {sorted(body)}")
        catalogue = contracts.errors()
        spec = catalogue.get(code)
        if spec is None:
            self._add("code.documented", ex, f"code {code} is not in the catalogue")
        elif ex.status not in (spec.http_body, spec.http_http):
            allowed = sorted({spec.http_body, spec.http_http})
            self._add(
                "status.pairing",
                ex,
                f"code {code} came with HTTP {ex.status} (either of {allowed})",
            )
        for error in _openapi.schema_errors(op, ex.status, body):
            self._add("schema.response", ex, f"{op} HTTP {ex.status}: {error}")
        if op == "upload":
            self._upload(ex, code)
        if op == "renderStatus" and code == 0 and isinstance(body.get("data"), dict):
            self._render(ex, body["data"])

    def _bare_render(self, ex: Exchange, body: dict[str, Any]) -> None:
        errors = list(_openapi.render_job_validator().iter_errors(body))
        if errors:
            self._add("schema.response", ex, f"bare render status: {_openapi.explain(errors)}")
        self._render(ex, body)

    def _upload(self, ex: Exchange, code: int) -> None:
        names = [n.decode("utf-8", "replace") for n in _FILENAME.findall(ex.request_body)]
        if not names or ex.request_size > BODY_CAP or code in _UPLOAD_OTHER:
            return
        exts = {PurePosixPath(n).suffix.lower().lstrip(".") for n in names}
        if exts & (_SEED_FORMATS | _ALIASES):
            return  # a supported (or arguably supported) file is in the request
        self._add(
            "upload.unsupported",
            ex,
            f"files {names} (not in the seeds' list) answered code {code}, not 4001",
        )

    def _render(self, ex: Exchange, job: dict[str, Any]) -> None:
        match = _RENDER_POLL.match(ex.path)
        status = job.get("status")
        if match is None or status not in RENDER_RANK:
            return
        key = (ex.token_fp(), match.group(1))
        progress = job.get("progress")
        progress = float(progress) if isinstance(progress, (int, float)) else 0.0
        before = self.renders.get(key)
        self.renders[key] = (RENDER_RANK[status], progress, status)
        if before is None:
            return
        rank, last_progress, last_status = before
        if RENDER_RANK[status] < rank or (rank == 2 and status != last_status):
            self._add(
                "render.status_order",
                ex,
                f"render {match.group(1)} went {last_status} → {status}",
            )
        elif progress < last_progress:
            self._add(
                "render.progress",
                ex,
                f"render {match.group(1)} progress went {last_progress} → {progress}",
            )

    def _owner(self, ex: Exchange, op: str) -> None:
        body = ex.json()
        data = body.get("data") if isinstance(body, dict) and body.get("code") == 0 else None
        if op == "anonymousToken" and isinstance(data, dict) and isinstance(data.get("token"), str):
            # tokens minted for one client id are one user (v1.9 §1: re-auth with the same id)
            client = ex.request_headers.get("x-client-id", "")
            value = data["token"]
            key = value if value.startswith("tok_") else fingerprint(value)
            self.principals[key] = f"client {client}"
            ttl = data.get("expires_in")
            ttl = ttl if isinstance(ttl, (int, float)) and not isinstance(ttl, bool) else TTL
            if ex.vtime is not None:
                self.expiry[key] = ex.vtime + float(ttl)
            return
        self._expired(ex, body)
        fp = ex.token_fp()
        token = self.principals.get(fp or "", fp)
        if op == "createSession" and isinstance(data, dict) and token is not None:
            if isinstance(data.get("session_id"), str):
                self.owners[data["session_id"]] = token
            return
        sid = _session_of(ex)
        owner = self.owners.get(sid or "")
        if sid is None or owner is None or token is None or owner == token:
            return
        succeeded = ex.is_sse and ex.status == 200
        succeeded = succeeded or (isinstance(body, dict) and body.get("code") == 0)
        if succeeded:
            self._add(
                "session.owner",
                ex,
                f"session {sid} of {owner} answered {token} (expected 1002)",
            )

    def _expired(self, ex: Exchange, body: Any) -> None:
        fp = ex.token_fp()
        ends = self.expiry.get(fp or "")
        if ends is None or ex.vtime is None or ex.vtime <= ends + EXPIRY_SLACK:
            return
        accepted = (ex.is_sse and ex.status == 200) or (
            isinstance(body, dict) and body.get("code") == 0
        )
        if accepted:
            late = ex.vtime - ends
            self._add("token.expiry", ex, f"token {fp} accepted {late:.0f} s after it expired")


def _session_of(ex: Exchange) -> str | None:
    match = _SESSION_PATH.match(ex.path)
    if match:
        return match.group(1)
    req = ex.request_json()
    if isinstance(req, dict):
        sid = req.get("session_id") or req.get("sessionId")
        return sid if isinstance(sid, str) else None
    return None
