"""The rules the validating proxy applies, each with its level and the sentence it enforces.

A MUST cites a sentence of the seeds or of the vendor's v1.9 document and accepts every reading
that sentence allows (both `error_status` modes, an enveloped or a bare render status, any
heartbeat comment text). What only our contracts/ choose (ASSUMPTION, DESIGN, ADK) is a SHOULD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MUST, SHOULD = "MUST", "SHOULD"


@dataclass(frozen=True)
class Rule:
    """One check: id, level and the source sentence it enforces."""

    id: str
    level: str
    source: str


_TABLE = (
    Rule(
        "envelope.json",
        MUST,
        'v1.9 §2: API answers are JSON envelopes, e.g. `{"code":0,"data":{"token":"nmv_usr_xxx",'
        "...}}`; §7 Error Handling keys every outcome by `Code`",
    ),
    Rule(
        "envelope.message",
        SHOULD,
        "contracts/openapi.yaml Envelope (ASSUMPTION: v1.9's examples show only code and data; "
        "`message` is our envelope's third key)",
    ),
    Rule(
        "code.documented",
        SHOULD,
        "v1.9 §7 Error Handling: the table of codes (0, 1001, 1002, 2001, 4001, 4002, 400, 402, "
        "429); contracts/errors.yaml adds 404/405/500/501 as ASSUMPTIONs",
    ),
    Rule(
        "status.pairing",
        SHOULD,
        "contracts/errors.yaml (ASSUMPTION: an app code rides on HTTP 200 in `body` mode or on "
        "its mapped status in `http` mode; both readings are accepted)",
    ),
    Rule(
        "schema.response",
        SHOULD,
        "contracts/openapi.yaml: the response schema of the operation (shapes partly ASSUMPTION)",
    ),
    Rule(
        "upload.unsupported",
        MUST,
        "seeds §Error Handling: `| 4001 | Unsupported file | Show supported formats |`; "
        "seeds: Supported formats: mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, "
        "m4a, aac.",
    ),
    Rule(
        "token.expiry",
        MUST,
        "v1.9 §7: `| 1001 | Bad/expired token | Re-auth via anonymous-token (tokens expire after "
        "7 days) |` (the lifetime is the mint's `expires_in`, else 7 days)",
    ),
    Rule(
        "render.status_order",
        MUST,
        "v1.9 §3.5c: Status at top-level `status`: pending → processing → completed / failed.",
    ),
    Rule(
        "render.progress",
        SHOULD,
        "DESIGN §3.5 (ASSUMPTION: progress 0..1 never decreasing; v1.9 only shows rising "
        "percentages)",
    ),
    Rule(
        "session.owner",
        SHOULD,
        "v1.9 §7: `| 1002 | Session not found |` (ASSUMPTION: another user's session is not found)",
    ),
    Rule(
        "sse.content_type",
        MUST,
        'v1.9 §3.1: `-H "Accept: text/event-stream"`; the turn answers as an SSE stream '
        "(or, before any stream, a JSON envelope)",
    ),
    Rule(
        "sse.framing",
        SHOULD,
        "ADK: each frame is `data: <compact JSON>\\n\\n`, no `event:`/`id:` lines",
    ),
    Rule(
        "sse.data_json",
        MUST,
        "v1.9 §3.1 SSE Handling: every frame is a Text response, a Tool call/result, or a "
        "`heartbeat` / empty `data:`",
    ),
    Rule(
        "sse.event_schema",
        SHOULD,
        "contracts/schemas/adk_event.json (ADK event or error frame)",
    ),
    Rule(
        "sse.cut",
        SHOULD,
        "v1.9 §3.1 SSE Handling: `| Stream closes | Process final response |` "
        "(a stream that ends inside a frame, or by a network error, is not a close)",
    ),
    Rule(
        "sse.heartbeat_spacing",
        SHOULD,
        "seeds §SSE: Heartbeats and empty data: lines mean the backend is still working "
        "(ASSUMPTION: the interval, default 10 s, is undocumented)",
    ),
)

RULES: dict[str, Rule] = {r.id: r for r in _TABLE}


@dataclass(frozen=True)
class Violation:
    """One rule broken by one exchange (`seq`, 1-based, in the order they passed)."""

    rule: str
    seq: int
    message: str

    @property
    def level(self) -> str:
        """MUST or SHOULD, from the rule table."""
        return RULES[self.rule].level

    def to_json(self) -> dict[str, Any]:
        """As written to violations.json and printed by --json."""
        return {
            "rule": self.rule,
            "level": self.level,
            "seq": self.seq,
            "message": self.message,
            "source": RULES[self.rule].source,
        }

    def line(self) -> str:
        """One line for the live log."""
        return f"[{self.level}] #{self.seq} {self.rule}: {self.message}"
