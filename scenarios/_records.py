"""What a scenario run recorded (steps, journal), and how expectations match journal entries."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from nemo_mock.server.verify import wait_start

Entry = Mapping[str, Any]
_TOKEN_SHAPE = re.compile(r"nmv_usr_[0-9A-Za-z]{6,}")


@dataclass(frozen=True)
class StepRecord:
    """What one step did: the client's output and exit code, and its journal window (seq_from,
    seq_to].
    """

    id: str
    kind: str
    label: str
    output: str = ""
    stderr: str = ""
    exit_code: int | None = None
    timed_out: bool = False
    error: str = ""
    seq_from: int = 0
    seq_to: int = 0
    seconds: float = 0.0

    @property
    def is_client(self) -> bool:
        """True when the client ran in this step."""
        return self.kind in ("say", "upload")


@dataclass
class RunRecord:
    """Everything a scenario run produced, for the checks to read."""

    steps: list[StepRecord] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def scope(self, names: Sequence[str]) -> tuple[list[StepRecord], list[dict[str, Any]]]:
        """The steps named (all when empty) and the journal entries inside their windows."""
        steps = [s for s in self.steps if not names or s.id in names]
        if not names:
            return steps, list(self.journal)
        windows = [(s.seq_from, s.seq_to) for s in steps]
        return steps, [e for e in self.journal if any(a < e["seq"] <= b for a, b in windows)]


@dataclass(frozen=True)
class Verdict:
    """Pass or fail, with the evidence."""

    passed: bool
    evidence: str


# -- matching journal entries ---------------------------------------------------------------


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


def matches(entry: Entry, matcher: Mapping[str, Any] | None) -> bool:
    """True when `entry` satisfies every field of `matcher` (see schema.json `matcher`)."""
    if not matcher:
        return True
    m = matcher
    if "method" in m and entry.get("method") != m["method"]:
        return False
    path = str(entry.get("path", ""))
    if "path" in m and not any(fnmatchcase(path, p) for p in _as_list(m["path"])):
        return False
    if "path_not" in m and any(fnmatchcase(path, p) for p in _as_list(m["path_not"])):
        return False
    if "status" in m and entry.get("status") != m["status"]:
        return False
    if "code" in m and entry.get("code") != m["code"]:
        return False
    if "code_not" in m and entry.get("code") == m["code_not"]:
        return False
    if "text" in m and sse_text(entry) != m["text"]:
        return False
    headers = entry.get("headers") or {}
    for name, value in (m.get("header") or {}).items():
        got = headers.get(name.lower())
        if got is None or not fnmatchcase(got, value):
            return False
    if "missing_header" in m and m["missing_header"].lower() in headers:
        return False
    return not ("fault" in m and bool(entry.get("faults")) != bool(m["fault"]))


def refused_before_stream(entry: Entry) -> bool:
    """True for a /run_sse answered with a JSON error envelope before any stream started.

    Such a request (1001, 1002, 2001, a malformed body) never reached the agent: sending the
    message again afterwards (to a new session, with a fresh token) is not a re-send.
    """
    streamed = str(entry.get("content_type", "")).startswith("text/event-stream")
    code = entry.get("code")
    return not streamed and not entry.get("dropped") and code not in (None, 0)


def describe(matcher: Mapping[str, Any] | None) -> str:
    """A matcher in a few words: `POST /run_sse code=1001`."""
    if not matcher:
        return "any request"
    m = dict(matcher)
    words = [m.pop("method", "*"), m.pop("path", "*")]
    words += [f"{k}={v}" for k, v in m.items()]
    return " ".join(str(w) for w in words)


def short_path(path: str) -> str:
    """A path with long ids shortened: /api/state/nemo_agent/me/3f2a…/latest."""
    return "/".join(p if len(p) <= 16 else p[:6] + "…" for p in path.split("/"))


def label(entry: Entry) -> str:
    """One journal entry in a few words: `#12 POST /run_sse → 200/0`."""
    return (
        f"#{entry.get('seq')} {entry.get('method')} {short_path(str(entry.get('path', '')))}"
        f" → {entry.get('status')}/{entry.get('code')}"
    )


def _labels(entries: Sequence[Entry], limit: int = 6) -> str:
    shown = ", ".join(label(e) for e in entries[:limit])
    return shown + (f", … (+{len(entries) - limit})" if len(entries) > limit else "")


def _end(entry: Entry) -> float:
    """When the client could start waiting after an exchange: `/_mock/verify`'s own rule."""
    return wait_start(entry)


# -- the checks -----------------------------------------------------------------------------


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
