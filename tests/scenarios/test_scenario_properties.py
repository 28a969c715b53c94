"""Property: under random fault schedules the reference client never hangs, never re-sends a
message, never shows a token, and ends every step with a result or a documented message."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nemo_mock.scenarios import ReferenceAdapter
from nemo_mock.scenarios._adapters import base_env
from nemo_mock.server.matching import sse_text
from nemo_mock.server.server_block import apply_server_block
from nemo_mock.server.serving import LiveServer
from nemo_mock.server.settings import Settings

UTTERANCES = ["add background music", "trim the clip to 5 seconds", "add a title Hello"]
ACTIONS = [
    {"type": "sse_silent_close"},
    {"type": "sse_error"},
    {"type": "sse_truncate", "after_frames": 1},
    {"type": "sse_trailing_text"},
    {"type": "drop"},
    {"type": "error", "code": 429},
    {"type": "error", "code": 1001},
    {"type": "delay", "seconds": 20},
]
#: answers that refuse a turn before it starts: a retry of the same message is allowed after them
PRE_STREAM = {429, 1001, 1002, 400}
SCALE = 600.0

schedules = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS)), max_size=3)


def _run(
    seed: int, n: int, schedule: list[tuple[int, dict[str, Any]]], variant: str
) -> tuple[list[Any], list[dict[str, Any]], set[str]]:
    faults = [
        {"match": {"method": "POST", "path": "/run_sse"}, "after": k, "times": 1, "action": action}
        for k, action in schedule
    ]
    live = LiveServer(Settings(time_scale=SCALE, clock_start=1_800_000_000.0))
    live.start()
    try:
        apply_server_block(
            live.world,
            {
                "seed": seed,
                "settings": {"starter_credits": 1000, "error_status": variant, "time_scale": SCALE},
                "faults": faults,
            },
        )
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **base_env(),
                "HOME": tmp,
                "NEMO_API_URL": live.url,
                "NEMO_WEB_URL": live.url,
                "NEMO_STATE_DIR": str(Path(tmp) / "state"),
                "NEMO_TIME_SCALE": str(SCALE),
                "NEMO_DOWNLOAD_DIR": tmp,
            }
            adapter = ReferenceAdapter()
            outcomes, marks = [], []
            for u in UTTERANCES[:n]:
                marks.append(max((e["seq"] for e in live.world.journal), default=0))
                outcomes.append(adapter.run(u, env, Path(tmp), 15.0))
        journal = list(live.world.journal)
        for (
            e
        ) in journal:  # which step sent it (a dropped request has no body to read the text from)
            e["step"] = sum(1 for m in marks if e["seq"] > m) - 1
        return outcomes, journal, set(live.world.tokens)
    finally:
        live.stop()


@pytest.mark.live
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 3),
    schedule=schedules,
    variant=st.sampled_from(["body", "http"]),
)
def test_reference_client_under_random_faults(seed, n, schedule, variant):
    """Never hangs, never re-sends, never shows a token, always ends with a result or a message."""
    outcomes, journal, tokens = _run(seed, n, schedule, variant)
    for o in outcomes:
        assert not o.timed_out, o
        assert o.exit_code in (0, 1, 3), o
        assert o.output.strip(), o
        assert not any(t in o.output for t in tokens)
        assert "nmv_usr_" not in o.output
    accepted: dict[str, int] = defaultdict(int)
    sent: dict[str, int] = defaultdict(int)
    for e in journal:
        assert not any(t in f"{e['path']}?{e.get('query', '')}" for t in tokens)
        if e["method"] == "POST" and e["path"] == "/run_sse":
            text = sse_text(e) or UTTERANCES[e["step"]]
            assert text == UTTERANCES[e["step"]], "a step sent another step's message"
            sent[text] += 1
            if e.get("code") not in PRE_STREAM:
                accepted[text] += 1
    assert all(n <= 1 for n in accepted.values()), dict(accepted)
    assert all(n <= 2 for n in sent.values()), dict(sent)
