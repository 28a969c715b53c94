"""The agent turn (DESIGN §3.4): a turn is its own asyncio task that owns its state changes.

The response only forwards frames from the turn's Pipe, so a turn runs to completion when the
client goes away (a re-sent message is a new turn: the edit lands twice and is paid twice). A turn
waits for the earlier turns of its session (turn_order.py), plays its plan (turn_plan.py) on the
virtual clock, heartbeating on the way and cut at `turn_cap` (turn_heartbeats.py), writes its
journal entry as it goes (turn_record.py) and settles its credits: frozen before the stream starts
(route), consumed on completion, released on failure.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from nemo_mock.server import sse, turn_plan, turn_tools
from nemo_mock.server.model import Session, User
from nemo_mock.server.turn_heartbeats import Capped, Heartbeats
from nemo_mock.server.turn_intent import Intent
from nemo_mock.server.turn_order import Place, Turns
from nemo_mock.server.turn_record import TurnOverrides, new_record, note
from nemo_mock.server.world import World

# the engine's names for the route (routes/agent.py), wherever they live
__all__ = ["Turn", "TurnOverrides", "Turns", "new_record"]

AUTHOR = "nemo_agent"
NO_CONTENT = "MODEL_RETURNED_NO_CONTENT"  # ADK's error code when the model answers nothing


class Failed(Exception):
    """The turn ended with an (injected) error frame."""


class Turn:
    """One agent turn: waits its session's queue, plays its plan, settles its credits."""

    # slots: one Turn per open stream (thousands at once), and no attribute is added later
    __slots__ = (
        "beats",
        "cost",
        "frames",
        "intent",
        "invocation",
        "message",
        "number",
        "overrides",
        "pipe",
        "place",
        "record",
        "session",
        "settled",
        "started",
        "streaming",
        "user",
        "world",
    )

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
        self.started = world.now()
        record["varrival"] = self.started
        self.beats = Heartbeats(
            world.clock,
            self.pipe,
            record,
            start=self.started,
            interval=s.heartbeat_interval,
            style=s.heartbeat_style,
            cap=s.turn_cap,
        )
        self.settled = False
        self.place = Place(world, session.id)

    # -- the task --------------------------------------------------------------------------
    async def run(self) -> None:
        """Wait for earlier turns of the session, then play the plan; always settle and close."""
        section = self.world.section
        try:
            await self.place.wait(self.beats, self.record)
            self.record["vstart"] = self.world.now()
            if self.overrides.stall or self.world.settings.stall_turns:
                await self.beats.until(self.beats.cap_at)
            await self._play()
            async with section():
                self._settle("completed")
        except Capped:
            cap = self.world.settings.turn_cap
            self._error(
                f"The agent did not finish within the {cap:g}-second limit.",
                {"code": 504, "reason": "turn_cap", "limit_seconds": cap},
            )
            async with section():
                self._settle("capped")
        except Failed:
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
            self.place.leave()

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
            await self.beats.until(start + step.at)
            async with w.section():
                self._step(step)
        if o.error is not None:
            await self.beats.until(start + plan.duration)
            self._error(o.error, {"code": 500, "reason": "fault"})
            raise Failed
        if silent:
            await self.beats.until(start + plan.duration)
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
        note(self.record, {"t": round(self.world.now(), 3), "kind": kind, **extra})

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
