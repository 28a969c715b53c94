"""A turn's journal entry (`turn` on the /run_sse request) and the fault overrides that shape it.

The entry is plain data, created by the route before the stream starts and filled in by the turn
while it runs: the frames sent per kind, their virtual times (`events`, bounded by MAX_EVENTS), the
plan's decisions and the outcome. `TurnOverrides` are the control plane's faults for one turn.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from nemo_mock.server.turn_intent import Intent

FRAME_KINDS = ("text", "partial", "tool_call", "tool_result", "heartbeat", "error")
MAX_EVENTS = 400  # frames whose virtual time the journal keeps per turn (the counts keep going)


@dataclass(frozen=True)
class TurnOverrides:
    """Faults for one turn (the control plane's fault rules set these; defaults change nothing).

    silent: force (True) or forbid (False) a silent close. truncate_after: after N data frames
    send half of the next one and close. error: end with an error frame instead of the final
    text. stall: heartbeats only until the cap. trailing_text: one more text event after the
    final text. kind: force the turn kind (text | edit | generation).
    """

    silent: bool | None = None
    truncate_after: int | None = None
    error: str | None = None
    stall: bool = False
    trailing_text: bool = False
    kind: str | None = None

    @classmethod
    def of(cls, value: Any) -> TurnOverrides:
        """Overrides from a TurnOverrides, a mapping of its fields, or None (the defaults)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        return cls(**dict(value))

    def applied(self) -> dict[str, Any]:
        """The fields that differ from the defaults (what the journal records)."""
        default = TurnOverrides()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }


def new_record(number: int, intent: Intent, cost: int, overrides: TurnOverrides) -> dict[str, Any]:
    """The journal's `turn` entry, filled in while the turn runs."""
    return {
        "number": number,
        "kind": intent.kind,
        "action": intent.action,
        "cost": cost,
        "duration": None,
        "frames": dict.fromkeys(FRAME_KINDS, 0),
        "events": [],
        "silent": False,
        "decisions": {},
        "overrides": overrides.applied(),
        "outcome": "running",
    }


def note(record: dict[str, Any], event: dict[str, Any]) -> None:
    """Append a `turn.events` entry, up to MAX_EVENTS per turn (then count what was dropped)."""
    events: list[dict[str, Any]] = record["events"]
    if len(events) >= MAX_EVENTS:
        record["events_dropped"] = record.get("events_dropped", 0) + 1
        return
    events.append(event)
