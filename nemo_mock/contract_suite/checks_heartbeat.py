"""Heartbeats while a turn works (DESIGN §3.4), judged against the target's own interval.

Any heartbeat form passes: a comment line of any text, an empty `data:` frame, an `event:
heartbeat` frame. The interval is the declared or discovered one; undeclared, the 10 s of
facts.yaml (an ASSUMPTION) is used only for the SHOULD on spacing and as the MUST's threshold
for "the turn ran long enough that a heartbeat was due".
"""

from __future__ import annotations

import itertools

from nemo_mock import contracts

from . import citations as C
from .checks_sse import EDIT_TURN, fast_turn, paying_session, stream_ok
from .registry import MUST, SHOULD, FixtureError, check, expect
from .target import Target

FACTS = contracts.facts()
GENERATION_TURN = "generate a 10-second video of a city timelapse at night"
REAL_INTERVAL = 0.4  # seconds of real time per heartbeat interval when judging spacing


def interval_of(t: Target) -> float:
    declared = t.caps.heartbeat_interval
    return float(declared or FACTS["turn"]["heartbeat_interval_seconds"])


@check(
    "sse.heartbeats",
    MUST,
    cites=(C.SSE_HEARTBEATS, C.SSE_HEARTBEAT_TIMEOUT),
    spends_credits=True,
)
def heartbeats(t: Target) -> None:
    """A generation turn (100-300 s of work) sends heartbeats while it runs."""
    token, sid = paying_session(t, "a generation turn")
    if "cost_generation" in t.config():
        t.configure(cost_generation=0)  # one clip may cost all 100 starter credits
    interval = interval_of(t)
    stream = fast_turn(t, token, sid, GENERATION_TURN)
    stream_ok(stream, "generation turn")
    scale = t.time_scale() or 1.0
    worked = stream.seconds * scale  # virtual seconds the turn ran
    t.note(f"turn ran {worked:.0f} s virtual; interval {interval:g} s; scale {scale:g}")
    if worked <= 2 * interval:
        raise FixtureError(
            f"the generation turn ran only {worked:.1f} s (virtual), under two heartbeat "
            f"intervals ({interval:g} s): cannot judge heartbeats"
        )
    expect(
        stream.heartbeats,
        f"no heartbeat in a turn that worked {worked:.0f} s (interval {interval:g} s): "
        f"{len(stream.events)} events only",
    )


@check(
    "sse.heartbeat_spacing",
    SHOULD,
    cites=(C.SSE_HEARTBEAT_INTERVAL, C.SSE_HEARTBEATS),
    spends_credits=True,
)
def heartbeat_spacing(t: Target) -> None:
    """While an edit turn works, no gap between frames exceeds 1.5 heartbeat intervals."""
    token, sid = paying_session(t, "an edit turn")
    interval = interval_of(t)
    scale = t.time_scale(interval / REAL_INTERVAL) or 1.0
    real_interval = interval / scale
    stream = fast_turn(t, token, sid, EDIT_TURN, scale=scale)
    stream_ok(stream, "edit turn")
    times = [0.0, *(i.at for i in stream.items)]
    widest = max(b - a for a, b in itertools.pairwise(times)) if len(times) > 1 else 0.0
    slack = real_interval * 1.5 + 0.25
    t.note(f"widest gap {widest:.2f} s real; interval {real_interval:.2f} s real")
    expect(
        widest <= slack,
        f"{widest:.2f} s without any frame or heartbeat (interval {interval:g} s virtual = "
        f"{real_interval:.2f} s real at scale {scale:g})",
    )
