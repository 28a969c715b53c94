"""A turn's journal entry and its fault overrides (mock_server/turn_record.py)."""

from __future__ import annotations

from nemo_mock.server.turn_intent import Intent
from nemo_mock.server.turn_record import MAX_EVENTS, TurnOverrides, new_record, note


def test_a_new_record_counts_zero_frames_of_every_kind() -> None:
    """The entry starts running, with a zero count for each frame kind the turn can send."""
    record = new_record(3, Intent("edit", "trim"), 10, TurnOverrides())
    assert record["frames"] == {
        "text": 0,
        "partial": 0,
        "tool_call": 0,
        "tool_result": 0,
        "heartbeat": 0,
        "error": 0,
    }
    assert (record["number"], record["kind"], record["action"], record["cost"]) == (
        3,
        "edit",
        "trim",
        10,
    )
    assert record["outcome"] == "running" and record["events"] == []


def test_the_record_keeps_only_the_overrides_that_change_something() -> None:
    """'defaults change nothing': the journal records the fields that differ from the defaults."""
    overrides = TurnOverrides(silent=False, stall=True)
    record = new_record(1, Intent("text", "answer"), 0, overrides)
    assert record["overrides"] == {"silent": False, "stall": True}


def test_overrides_come_from_none_a_mapping_or_overrides() -> None:
    """TurnOverrides.of: None is the defaults, a mapping names fields, overrides pass through."""
    given = TurnOverrides(error="boom")
    assert TurnOverrides.of(None) == TurnOverrides()
    assert TurnOverrides.of({"truncate_after": 2}) == TurnOverrides(truncate_after=2)
    assert TurnOverrides.of(given) is given


def test_the_journal_keeps_the_first_events_and_counts_the_rest() -> None:
    """'frames whose virtual time the journal keeps per turn (the counts keep going)'."""
    record = new_record(1, Intent("text", "answer"), 0, TurnOverrides())
    for i in range(MAX_EVENTS + 5):
        note(record, {"t": float(i), "kind": "text"})
    assert len(record["events"]) == MAX_EVENTS
    assert record["events"][-1] == {"t": float(MAX_EVENTS - 1), "kind": "text"}
    assert record["events_dropped"] == 5
