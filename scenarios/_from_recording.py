"""A recording turned into a scenario: the server block reproduces what went wrong.

What the recording shows becomes a fault rule at the same place in the conversation:

- a stream that closed with no text → `sse_silent_close` on that /run_sse call;
- a stream cut inside a frame (or by a network error) after N event frames → `sse_truncate`;
- an error frame → `sse_error` with its message; only heartbeats until the client gave up →
  `sse_stall`; a trailing "I encountered a temporary issue" after a normal answer →
  `sse_trailing_text`;
- an error code at the k-th call of an operation (429, 2001, ...) → an `error` rule with
  `after: k-1, times: 1`; a non-JSON 5xx → a `status` rule;
- a render that failed → `render_fail` on the submit of that render.

The steps are what the user did (each /run_sse message, each upload, each export) and the
expectations are pre-filled as SHOULDs, citing the sentence they check, for the user to tighten.
The random failures of the emulator are switched off so the rules alone reproduce the run.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from nemo_mock import contracts
from nemo_mock.proxy import Bundle, Exchange, operation_id

RUN_SSE = {"method": "POST", "path": "/run_sse"}
SUBMIT = {"method": "POST", "path": "/api/render/proxy/lambda"}
STATE = {"method": "GET", "path": "/api/state/nemo_agent/me/*/latest"}
_FILENAME = re.compile(r'filename="([^"]*)"')
TRAILING = "temporary issue"  # v1.9 §3.1: Ignore trailing "I encountered a temporary issue"

RULE_SILENT = (
    "seeds §SSE: About 30% of edit operations close the stream without any text. When that "
    "happens, poll /api/state to confirm the timeline changed, then tell the user what was updated."
)
RULE_RESEND = "v1.9 §3.1: **Never re-send** during generation (duplicates + double-charge)."
RULE_429 = "v1.9 §7: | 429 | Rate limit (1 token/client/7 days) | Retry in 30s once |"
RULE_RENDER = "v1.9 §3.5b: On failure → new `id`, retry once."
RULE_FAULT = "DESIGN §5: a fault rule reproduces the backend failure the recording shows"


def _glob(ex: Exchange) -> dict[str, str]:
    op = operation_id(ex.method, ex.path)
    path = ex.path
    if op is not None:
        path = re.sub(r"\{[^}]+\}", "*", contracts.openapi_path(op))
    return {"method": ex.method, "path": path}


def _stream_action(ex: Exchange) -> dict[str, Any] | None:
    frames = ex.frames or []
    errors = [f.data for f in frames if f.kind == "json" and "error" in (f.data or {})]
    if errors:
        return {"type": "sse_error", "message": str(errors[0]["error"])}
    if ex.end in ("cut", "upstream_error"):
        return {"type": "sse_truncate", "after_frames": sum(f.kind == "json" for f in frames)}
    texts = ex.texts()
    if ex.end == "client_gone" and frames and all(f.kind in ("comment", "empty") for f in frames):
        return {"type": "sse_stall"}  # only heartbeats until the client gave up
    if ex.end == "closed" and ex.status == 200 and not texts:
        return {"type": "sse_silent_close"}
    if len(texts) > 1 and TRAILING in texts[-1].lower():
        return {"type": "sse_trailing_text"}
    return None


def _message(ex: Exchange) -> str | None:
    body = ex.request_json()
    if not isinstance(body, dict):
        return None
    msg = body.get("new_message") or body.get("newMessage") or {}
    parts = msg.get("parts") if isinstance(msg, dict) else None
    texts = [
        p["text"] for p in parts or [] if isinstance(p, dict) and isinstance(p.get("text"), str)
    ]
    return " ".join(texts) or None


def _failed_renders(exchanges: list[Exchange]) -> set[str]:
    failed = set()
    for ex in exchanges:
        body = ex.json()
        if ex.method != "GET" or operation_id("GET", ex.path) != "renderStatus":
            continue
        job = body.get("data") if isinstance(body, dict) and "code" in body else body
        if isinstance(job, dict) and job.get("status") == "failed":
            failed.add(ex.path.rsplit("/", 1)[-1])
    return failed


class _Builder:
    def __init__(self, bundle: Bundle) -> None:
        self.exchanges = [e for e in bundle.exchanges if not e.path.startswith("/_mock")]
        self.faults: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.expect: list[dict[str, Any]] = []
        self.seen: Counter[tuple[str, str]] = Counter()
        self.failed = _failed_renders(self.exchanges)
        self.last_render_failed = False

    def build(self) -> None:
        for ex in self.exchanges:
            match = _glob(ex)
            key = (match["method"], match["path"])
            self.seen[key] += 1
            n = self.seen[key]
            op = operation_id(ex.method, ex.path)
            if op == "runSse":
                self._turn(ex, n)
            elif op == "upload":
                self._upload(ex)
            elif op == "renderSubmit":
                self._submit(ex, n)
            if op != "runSse" or not ex.is_sse:
                self._error(ex, match, n)

    def _step(self, kind: str, value: Any, prefix: str) -> str:
        sid = f"{prefix}-{len(self.steps) + 1}"
        self.steps.append({"id": sid, kind: value})
        return sid

    def _turn(self, ex: Exchange, n: int) -> None:
        text = _message(ex)
        if text is None:
            return
        step = self._step("say", text, "say")
        action = _stream_action(ex) if ex.is_sse else None
        if action is None:
            return
        self.faults.append(
            {
                "match": dict(RUN_SSE),
                "after": n - 1,
                "times": 1,
                "action": action,
                "note": f"recorded exchange #{ex.seq}",
            }
        )
        self.expect.append(_injected(f"{step}-fault-injected", step, RUN_SSE))
        self.expect.append(
            {
                "id": f"{step}-not-re-sent",
                "level": "SHOULD",
                "rule": RULE_RESEND,
                "sent_once": dict(RUN_SSE),
            }
        )
        if action["type"] == "sse_silent_close":
            self.expect.append(
                {
                    "id": f"{step}-state-polled",
                    "level": "SHOULD",
                    "rule": RULE_SILENT,
                    "steps": step,
                    "order": [dict(RUN_SSE), dict(STATE)],
                }
            )

    def _upload(self, ex: Exchange) -> None:
        names = _FILENAME.findall(ex.request_body.decode("utf-8", "replace"))
        if names:
            name = PurePosixPath(names[0]).name or "upload.bin"
            self._step("upload", {"file": name, "size": max(ex.request_size - 200, 1)}, "upload")
            return
        body = ex.request_json()
        urls = body.get("urls") if isinstance(body, dict) else None
        if isinstance(urls, list) and urls and isinstance(urls[0], str):
            self._step("upload", {"url": urls[0]}, "upload")

    def _submit(self, ex: Exchange, n: int) -> None:
        body = ex.request_json()
        render_id = body.get("id") if isinstance(body, dict) else None
        if not self.last_render_failed:  # a retry after a failure is the same export
            self._step("say", "export", "export")
        self.last_render_failed = render_id in self.failed
        if self.last_render_failed:
            step = self.steps[-1]["id"]
            self.faults.append(
                {
                    "match": dict(SUBMIT),
                    "after": n - 1,
                    "times": 1,
                    "action": {"type": "render_fail"},
                    "note": f"recorded exchange #{ex.seq}",
                }
            )
            self.expect.append(_injected(f"{step}-fault-injected", step, SUBMIT))
            self.expect.append(
                {
                    "id": f"{step}-new-id-on-retry",
                    "level": "SHOULD",
                    "rule": RULE_RENDER,
                    "distinct": {"field": "body.id", "where": dict(SUBMIT)},
                }
            )

    def _error(self, ex: Exchange, match: dict[str, str], n: int) -> None:
        body = ex.json()
        code = body.get("code") if isinstance(body, dict) else None
        action: dict[str, Any] | None = None
        if isinstance(code, int) and code != 0 and code in contracts.errors():
            action = {"type": "error", "code": code}
        elif body is None and ex.status >= 500:
            action = {"type": "status", "status": ex.status}
        if action is None:
            return
        self.faults.append(
            {
                "match": match,
                "after": n - 1,
                "times": 1,
                "action": action,
                "note": f"recorded exchange #{ex.seq}",
            }
        )
        name = f"{code or ex.status}-{len(self.faults)}"
        self.expect.append(_injected(f"error-{name}-injected", None, match))
        if code == 429:
            self.expect.append(
                {
                    "id": f"error-{name}-retry-waits",
                    "level": "SHOULD",
                    "rule": RULE_429,
                    "gap": {
                        "from": {**match, "code": 429},
                        "to": {**match, "code_not": 429},
                        "min": 30,
                    },
                }
            )


def _injected(eid: str, step: str | None, match: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": eid,
        "level": "SHOULD",
        "rule": RULE_FAULT,
        "request": {**match, "fault": True},
        "count": {"min": 1},
    }
    if step:
        out["steps"] = step
    return out


def scenario_from_bundle(bundle: Bundle, name: str) -> dict[str, Any]:
    """The scenario (as data, valid against scenarios/schema.json) a recording reproduces."""
    b = _Builder(bundle)
    b.build()
    if not b.steps:
        raise ValueError("the recording holds no user action (no /run_sse, upload or export)")
    if not b.expect:
        b.expect.append(
            {
                "id": "runs",
                "level": "SHOULD",
                "rule": "DESIGN §8: the steps the recording shows",
                "exit": {"in": [0, 1]},
            }
        )
    emulator = bundle.emulator or {}
    server: dict[str, Any] = {
        "seed": int(emulator.get("seed", 0)),
        # the rules alone reproduce the failures: the emulator's own dice are switched off
        "settings": {"silent_close_rate": 0.0, "render_failure_rate": 0.0},
        "faults": b.faults,
    }
    return {
        "name": name,
        "title": f"Reproduces the recording from {bundle.meta.get('upstream', 'a backend')}",
        "description": (
            f"Made by `nemo-mock scenarios from-recording` from a recording started "
            f"{bundle.meta.get('started', '')}; {len(b.faults)} failure(s) reproduced by fault "
            "rules. Expectations are SHOULDs: tighten them to MUST where a seed sentence says so."
        ),
        "tags": ["from-recording"],
        "server": server,
        "steps": b.steps,
        "expect": b.expect,
    }


def write_scenario(bundle: Bundle, out: str | Path) -> Path:
    """Write the scenario next to `out` (NAME.yaml; the name is the file's stem)."""
    from nemo_mock.scenarios._load import parse

    path = Path(out)
    name = path.stem
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"{path.name}: the name must be lower-case letters, digits and '-'")
    data = scenario_from_bundle(bundle, name)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    parse(text, str(path))  # raises ScenarioError if we produced something invalid
    path.write_text(text, encoding="utf-8")
    return path
