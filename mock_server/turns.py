"""The agent turn engine (DESIGN §3.4): a turn is its own asyncio task that owns its state changes.

The response only forwards frames from the turn's Pipe, so a turn runs to completion when the
client goes away (a re-sent message is a new turn: the edit lands twice and is paid twice).
Turns of one session run one at a time in arrival order (a chain of futures per session, kept in
`world.runtime.turns`, never in snapshot-able state). While a turn waits or works it sends a
heartbeat every `heartbeat_interval` virtual seconds; the whole stream is cut at `turn_cap`.
Credits are frozen before the stream starts (route), consumed on completion, released on failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nemo_mock.server import sse, turn_plan, turn_tools
from nemo_mock.server.model import Session, User
from nemo_mock.server.turn_intent import Intent
from nemo_mock.server.world import World

AUTHOR = "nemo_agent"
NO_CONTENT = "MODEL_RETURNED_NO_CONTENT"  # ADK's error code when the model answers nothing
MAX_CATCH_UP = 3  # heartbeats sent at once after a late wake-up
FRAME_KINDS = ("text", "partial", "tool_call", "tool_result", "heartbeat", "error")
TICKET_POLL = 0.01  # real seconds between looks at a shared session queue (redis://)
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


class _Capped(Exception):
    """The stream reached `turn_cap`."""


class Turns:
    """Per-process turn bookkeeping: running tasks (kept so they are not collected) and queues."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()
        self.tails: dict[str, asyncio.Future[None]] = {}

    @classmethod
    def of(cls, world: World) -> Turns:
        """The World's Turns (created on first use)."""
        if world.runtime.turns is None:
            world.runtime.turns = Turns()
        return world.runtime.turns

    def enqueue(self, session_id: str) -> tuple[asyncio.Future[None] | None, asyncio.Future[None]]:
        """(the previous turn's done future or None, this turn's done future), in arrival order."""
        loop = asyncio.get_running_loop()
        prev = self.tails.get(session_id)
        if prev is not None and (prev.done() or prev.get_loop() is not loop):
            prev = None  # finished, or left behind by another event loop (in-process tests)
        mine: asyncio.Future[None] = loop.create_future()
        self.tails[session_id] = mine
        return prev, mine

    def start(self, turn: Turn) -> asyncio.Task[None]:
        """Run `turn` in the background; the task is referenced until it ends."""
        task = asyncio.get_running_loop().create_task(turn.run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


class Turn:
    """One agent turn: waits its session's queue, plays its plan, settles its credits."""

    def __init__(
        self,
        world: World,
        user: User,
        session: Session,
        *,
        number: int,
        intent: Intent,
        message: str,
        cost: int,
        streaming: bool,
        overrides: TurnOverrides,
        record: dict[str, Any],
    ) -> None:
        self.world, self.user, self.session = world, user, session
        self.number, self.intent, self.message = number, intent, message
        self.cost, self.streaming, self.overrides = cost, streaming, overrides
        self.record = record
        self.frames: dict[str, int] = record["frames"]
        self.pipe = sse.Pipe()
        self.invocation = "e-" + world.ids.uuid("invocation")
        s = world.settings
        self.interval = s.heartbeat_interval
        self.style = s.heartbeat_style
        self.started = world.now()
        record["varrival"] = self.started
        self.cap_at = self.started + s.turn_cap
        self.next_beat = self.started + self.interval
        self.beats = 0
        self.settled = False
        turns = Turns.of(world)
        self._turns = turns
        self._prev, self._done = turns.enqueue(session.id)
        # a shared world (redis://): the session's queue spans every process
        queue = world.runtime.turn_queue
        self._ticket = queue.enqueue(session.id) if queue is not None else None

    # -- the task --------------------------------------------------------------------------
    async def run(self) -> None:
        """Wait for earlier turns of the session, then play the plan; always settle and close."""
        section = self.world.section
        try:
            await self._wait_previous()
            self.record["vstart"] = self.world.now()
            if self.overrides.stall or self.world.settings.stall_turns:
                await self._until(self.cap_at)
            await self._play()
            async with section():
                self._settle("completed")
        except _Capped:
            cap = self.world.settings.turn_cap
            self._error(
                f"The agent did not finish within the {cap:g}-second limit.",
                {"code": 504, "reason": "turn_cap", "limit_seconds": cap},
            )
            async with section():
                self._settle("capped")
        except _Failed:
            async with section():
                self._settle("failed")
        except asyncio.CancelledError:
            self._settle("cancelled")
            raise
        except Exception as exc:  # an emulator bug must still end the stream properly
            self._error(
                "Internal error while running the agent.", {"code": 500, "type": type(exc).__name__}
            )
            self._settle("failed")  # (outside a section: last writer wins in a shared world)
        finally:
            self.record["vend"] = self.world.now()
            self.pipe.close()
            self._hand_over()
            tails = self._turns.tails
            if self._done.done() and tails.get(self.session.id) is self._done:
                del tails[self.session.id]  # (a turn cut while queued stays in line until then)

    def _hand_over(self) -> None:
        """Let the next turn of the session start (after the previous one if this one was cut)."""
        done, prev = self._done, self._prev
        queue = self.world.runtime.turn_queue
        if self._ticket is not None and queue is not None:
            queue.done(self.session.id, self._ticket)
        if prev is not None and not prev.done():
            prev.add_done_callback(lambda _f: _resolve(done))
        else:
            _resolve(done)

    async def _wait_previous(self) -> None:
        if self._ticket is not None:
            await self._wait_ticket(self._ticket)
            return
        prev = self._prev
        if prev is None or prev.done():
            return
        self.record["queued"] = True
        while not prev.done():
            if self.world.now() >= self.cap_at:
                raise _Capped
            beat = asyncio.ensure_future(
                self.world.clock.sleep_until(min(self.next_beat, self.cap_at))
            )
            try:
                await asyncio.wait((prev, beat), return_when=asyncio.FIRST_COMPLETED)
            finally:
                beat.cancel()
            if not prev.done():
                self._tick()

    async def _wait_ticket(self, ticket: str) -> None:
        """Wait (heartbeating) until the session's shared queue reaches `ticket`."""
        queue = self.world.runtime.turn_queue
        assert queue is not None
        while not queue.first(self.session.id, ticket):
            self.record["queued"] = True
            if self.world.now() >= self.cap_at:
                raise _Capped
            beat = asyncio.ensure_future(
                self.world.clock.sleep_until(min(self.next_beat, self.cap_at))
            )
            try:
                await asyncio.wait((beat,), timeout=TICKET_POLL)
            finally:
                beat.cancel()
            self._tick()

    async def _play(self) -> None:
        w, s, o = self.world, self.world.settings, self.overrides
        silent, draw = turn_plan.decide_silent(
            s.seed, self.session.id, self.number, s.silent_close_rate
        )
        decisions: dict[str, Any] = {"silent_draw": round(draw, 6)}
        if self.intent.kind != "edit":
            silent = False
        if o.silent is not None:
            silent = o.silent
        self.record["silent"] = silent
        r = w.rng("turn", self.session.id, self.number)
        async with w.section():  # the plan draws ids
            plan = self._plan(silent or o.error is not None, r)
        decisions.update(plan.decisions)
        self.record["decisions"] = decisions
        self.record["duration"] = plan.duration
        start = w.now()
        for step in plan.steps:
            await self._until(start + step.at)
            async with w.section():
                self._step(step)
        if o.error is not None:
            await self._until(start + plan.duration)
            self._error(o.error, {"code": 500, "reason": "fault"})
            raise _Failed
        if silent:
            await self._until(start + plan.duration)
            if s.silent_close_style == "adk":
                async with w.section():
                    self._event(
                        {"role": "model", "parts": []},
                        errorCode=NO_CONTENT,
                        errorMessage="The model returned no content.",
                    )
                self._mark("no_content")
            return
        if o.trailing_text and plan.final_text is not None:
            async with w.section():
                self._event(
                    {
                        "role": "model",
                        "parts": [{"text": turn_plan.text(self.session.language, "trailing")}],
                    }
                )
            self.frames["text"] += 1
            self._mark("text")

    def _plan(self, silent: bool, r: random.Random) -> turn_plan.Plan:
        """The turn's plan (draws ids: run it in a section)."""
        w = self.world
        state = {"draft": self.session.draft, "generated_media": self.session.generated_media}
        return turn_plan.plan(
            self.intent,
            self.message,
            self.session.language,
            state,
            r,
            silent=silent,
            streaming=self.streaming,
            new_id=lambda kind: (
                "adk-" + w.ids.uuid(kind) if kind == "call" else "gen_" + w.ids.hex(kind, 16)
            ),
        )

    # -- time: waiting and heartbeats ------------------------------------------------------
    # While the turn waits, its heartbeats are sent by a clock timer (`_beat`), not by waking this
    # task: one heartbeat costs one timer callback and one socket write (mock_server/sse.py).
    async def _until(self, deadline: float) -> None:
        """Sleep (virtual) until `deadline`, heartbeating on the way; _Capped at the cap."""
        clock = self.world.clock
        while True:
            now = clock.now()
            if now >= self.cap_at:
                raise _Capped
            if now >= deadline:
                return
            if now >= self.next_beat:
                self._tick()
                continue
            await clock.sleep_until(min(deadline, self.cap_at), self._beat, self.next_beat)

    def _beat(self) -> float:
        """The heartbeat timer fired before the deadline: send what is due; when the next is."""
        self._tick()
        return self.next_beat

    def _tick(self) -> None:
        """Send the heartbeats that are due: one per interval boundary passed, so a wake-up that
        came a little late catches up, but at most MAX_CATCH_UP at once (a clock jump never
        floods the stream); then schedule the next."""
        now = self.world.clock.now()
        sent = 0
        while self.next_beat <= now and sent < MAX_CATCH_UP:
            self.pipe.beat(sse.heartbeat(self.style, self.beats))
            self.beats += 1
            sent += 1
            self.next_beat += self.interval
        self.frames["heartbeat"] += sent
        for _ in range(sent):
            self._note(beat_event(round(now, 3)))
        if self.next_beat <= now:
            self.next_beat = now + self.interval

    # -- frames ----------------------------------------------------------------------------
    def _step(self, step: turn_plan.Step) -> None:
        if step.kind == "call":
            call = {"id": step.call_id, "name": step.tool, "args": step.args}
            self._event({"role": "model", "parts": [{"functionCall": call}]})
            self.frames["tool_call"] += 1
            self._mark("tool_call", name=step.tool)
        elif step.kind == "result":
            self._result(step)
        elif step.kind == "partial":
            self._event({"role": "model", "parts": [{"text": step.text}]}, partial=True)
            self.frames["partial"] += 1
            self._mark("partial")
        else:
            self._event({"role": "model", "parts": [{"text": step.text}]})
            self.frames["text"] += 1
            self._mark("text")

    def _result(self, step: turn_plan.Step) -> None:
        """The tool's state change lands now, with the functionResponse that reports it."""
        session = self.session
        state = {"draft": session.draft, "generated_media": session.generated_media}
        changes = turn_tools.apply(step.tool, state, step.args)
        self.world.change(session, **changes)
        delta = {**changes, "draft_version": session.version}
        response = {"status": "success", "draft_version": session.version}
        part = {"functionResponse": {"id": step.call_id, "name": step.tool, "response": response}}
        self._event({"role": "model", "parts": [part]}, state_delta=delta)
        self.frames["tool_result"] += 1
        self._mark("tool_result", name=step.tool, version=session.version)

    def _event(
        self,
        content: dict[str, Any],
        *,
        partial: bool = False,
        state_delta: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        event: dict[str, Any] = {
            "id": self.world.ids.uuid("event"),
            "invocationId": self.invocation,
            "author": AUTHOR,
            "timestamp": round(self.world.now(), 6),
            "content": content,
            "actions": {
                "stateDelta": state_delta or {},
                "artifactDelta": {},
                "requestedAuthConfigs": {},
            },
        }
        if partial:
            event["partial"] = True
        event.update(extra)
        self.pipe.put(sse.frame(event))

    def _error(self, message: str, details: dict[str, Any]) -> None:
        self.pipe.put(sse.error_frame(message, details))
        self.frames["error"] += 1
        self._mark("error")

    def _mark(self, kind: str, **extra: Any) -> None:
        """Note a frame's virtual time (now) in the journal (`turn.events`)."""
        self._note({"t": round(self.world.now(), 3), "kind": kind, **extra})

    def _note(self, event: dict[str, Any]) -> None:
        """Append a `turn.events` entry, up to MAX_EVENTS per turn (then count what was dropped)."""
        events: list[dict[str, Any]] = self.record["events"]
        if len(events) >= MAX_EVENTS:
            self.record["events_dropped"] = self.record.get("events_dropped", 0) + 1
            return
        events.append(event)

    # -- credits ---------------------------------------------------------------------------
    def _settle(self, outcome: str) -> None:
        if self.settled:
            return
        self.settled = True
        self.record["outcome"] = outcome
        if outcome == "completed":
            self.world.consume(self.user, self.cost)
        else:
            self.world.release(self.user, self.cost)
            if self.intent.kind == "edit" and self.cost > 0:
                self.session.edit_charged = False  # the session's edit charge was given back


@lru_cache(maxsize=1024)
def beat_event(t: float) -> dict[str, Any]:
    """The journal event of a heartbeat sent at virtual time `t` (ms): one shared dict per
    millisecond, never mutated, since thousands of streams beat in the same one (a stalled turn
    keeps MAX_EVENTS of them: as separate dicts, ~80 KB per stream)."""
    return {"t": t, "kind": "heartbeat"}


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class _Failed(Exception):
    """The turn ended with an (injected) error frame."""


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
