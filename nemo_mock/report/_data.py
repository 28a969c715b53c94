"""The report's input: plain, JSON-able data (so any producer can hand it over), and its redaction.

A **report** is a dict::

    {"title": str, "subtitle": str?, "runs": [run, ...]}

A **run** is one scenario under one variant (or one contract check) with what happened::

    {
      "id": "silent-close-after-edit[body]",    # unique in the report
      "title": str?, "client": str?, "variant": str?,
      "passed": bool,                             # every MUST passed and no set-up error
      "error": str?,                              # a set-up error (counts as a MUST failure)
      "steps": [{"id", "kind", "label", "seq_from", "seq_to",
                 "exit_code"?, "timed_out"?, "output"?, "error"?}],
      "exchanges": [journal entry, ...],          # the emulator journal's dicts, as they are
      "expectations": [{"id", "level": "MUST"|"SHOULD", "rule"?, "passed": bool,
                        "evidence": str, "seqs": [int]?, "steps": [str]?,
                        "status"?: "pass"|"fail"|"n/a"}],
    }

Journal entries are read for: `seq`, `vtime`, `vtime_end`, `method`, `path`, `status`, `code`,
`content_type`, `dropped`, `faults` ([{"type", ...}]), `state_version`, `render_status`, and for a
stream `turn` = {"events": [{"t", "kind", "name"?, "version"?}], "frames": {kind: n}, "silent",
"stream_end" ("closed" | "truncated" | "client_gone"), "vstream_end", "outcome"}. Missing keys are
drawn as unknown, never guessed.

`seqs` point at the exchanges an expectation's evidence names (`#12` in its evidence text is read
when `seqs` is absent); `steps` at the steps it judged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

#: What a bearer or claim token looks like (DESIGN §3.2: `nmv_usr_…`, `clm_…`).
TOKEN_SHAPE = re.compile(r"\b(?:nmv_usr_|clm_)[0-9A-Za-z_-]{6,}")
_SEQ_REF = re.compile(r"#(\d+)\b")


def fingerprint(secret: str) -> str:
    """The journal's name for a token: `tok_` + 10 hex of SHA-256 (the formula of
    nemo_mock.server.journal, restated so the report never imports the emulator: the contract
    suite uses it against any server)."""
    return "tok_" + hashlib.sha256(secret.encode()).hexdigest()[:10]


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """`value` with every known secret and every token-shaped string replaced by its fingerprint."""
    known = sorted({s for s in secrets if s}, key=len, reverse=True)

    def text(s: str) -> str:
        for secret in known:
            if secret in s:
                s = s.replace(secret, fingerprint(secret))
        return TOKEN_SHAPE.sub(lambda m: fingerprint(m.group(0)), s)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return text(v)
        if isinstance(v, dict):
            return {text(str(k)): walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    return walk(value)


def evidence_seqs(expectation: dict[str, Any]) -> list[int]:
    """The journal sequence numbers an expectation's evidence points at."""
    given = expectation.get("seqs")
    if given is not None:
        return [int(s) for s in given]
    return [int(m) for m in _SEQ_REF.findall(str(expectation.get("evidence", "")))]


def status_of(expectation: dict[str, Any]) -> str:
    """`pass`, `fail` or `n/a`."""
    status = expectation.get("status")
    if status in ("pass", "fail", "n/a"):
        return str(status)
    return "pass" if expectation.get("passed") else "fail"


def run_counts(run: dict[str, Any]) -> dict[str, int]:
    """{"must_pass", "must_fail", "should_pass", "should_fail", "na"} for one run."""
    out = dict.fromkeys(("must_pass", "must_fail", "should_pass", "should_fail", "na"), 0)
    for e in run.get("expectations", []):
        status = status_of(e)
        if status == "n/a":
            out["na"] += 1
            continue
        level = "must" if e.get("level") == "MUST" else "should"
        out[f"{level}_{status}"] += 1
    if run.get("error"):
        out["must_fail"] += 1
    return out


def run_failed(run: dict[str, Any]) -> bool:
    """True when a MUST failed (or set-up did)."""
    return run_counts(run)["must_fail"] > 0 or run.get("passed") is False


def failing_first(runs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs ordered: MUST failures, then SHOULD warnings, then passes (stable otherwise)."""

    def rank(run: dict[str, Any]) -> int:
        if run_failed(run):
            return 0
        return 1 if run_counts(run)["should_fail"] else 2

    return sorted(runs, key=rank)


def expectations_failing_first(run: dict[str, Any]) -> list[dict[str, Any]]:
    """A run's expectations: failed MUSTs, failed SHOULDs, passes, then not applicable."""

    def rank(e: dict[str, Any]) -> int:
        status = status_of(e)
        if status == "fail":
            return 0 if e.get("level") == "MUST" else 1
        return 2 if status == "pass" else 3

    return sorted(run.get("expectations", []), key=rank)
