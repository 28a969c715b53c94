"""Adapters: how the runner drives a client for one step.

- `ReferenceAdapter`: our reference client in-process (`client.Agent`), in a worker thread bounded
  by the step's deadline (its waits are cancelled when the deadline passes).
- `CommandAdapter`: any program, run once per step with the utterance as its last argument; stdout
  is what the user sees. It runs in its own process group; at the deadline the whole group is
  killed (by the child's own PID, which is the group id): a hanging client never hangs the run.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: Variables a client must not inherit from the caller's shell (the runner sets its own).
_CLEARED_PREFIXES = ("NEMO_", "SKILL_")


@dataclass(frozen=True)
class StepOutcome:
    """What the client did in one step."""

    output: str
    exit_code: int | None
    timed_out: bool = False
    stderr: str = ""
    error: str = ""


class Adapter(Protocol):
    """Runs the client once for one utterance."""

    name: str

    def run(
        self, utterance: str, env: Mapping[str, str], cwd: Path, deadline: float
    ) -> StepOutcome:
        """Run one step; never blocks longer than `deadline` real seconds (plus a little)."""
        ...


def base_env() -> dict[str, str]:
    """The caller's environment without NEMO_* / SKILL_* (so nothing leaks into a run)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}


class _Cancelled(BaseException):
    """Raised inside the reference client's waits once its step deadline has passed."""


class ReferenceAdapter:
    """The reference client (`client.Agent`) in-process; a fresh Agent per step, like a CLI run."""

    name = "reference"

    def run(
        self, utterance: str, env: Mapping[str, str], cwd: Path, deadline: float
    ) -> StepOutcome:
        from nemo_mock.client import Agent, Config

        cancel = threading.Event()
        box: dict[str, StepOutcome] = {}

        def sleep(seconds: float) -> None:
            if cancel.wait(max(0.0, seconds)):
                raise _Cancelled

        def work() -> None:
            lines: list[str] = []
            try:
                config = Config.from_env(dict(env))
                with Agent(config, sleep=sleep, out=lines.append) as agent:
                    outcome = agent.handle(utterance)
                box["out"] = StepOutcome(outcome.output, outcome.exit_code)
            except _Cancelled:
                box["out"] = StepOutcome("\n".join(lines), None, timed_out=True)
            except Exception:  # a crash is a failed step (exit 1, as an uncaught error would)
                box["out"] = StepOutcome("\n".join(lines), 1, error=traceback.format_exc(limit=8))

        thread = threading.Thread(target=work, name="scenario-reference-client", daemon=True)
        thread.start()
        thread.join(deadline)
        if thread.is_alive():
            cancel.set()
            thread.join(2.0)
            return StepOutcome("", None, timed_out=True, error=f"no answer within {deadline:g}s")
        return box["out"]


class CommandAdapter:
    """Any client as a command: `argv + [utterance]`, env from the runner, stdout = user output."""

    def __init__(self, command: str) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("the client command is empty")
        self.name = command

    def run(
        self, utterance: str, env: Mapping[str, str], cwd: Path, deadline: float
    ) -> StepOutcome:
        try:
            proc = subprocess.Popen(
                [*self.argv, utterance],
                cwd=None,  # the caller's directory: relative paths in the command keep working
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: killable as a whole
            )
        except OSError as exc:
            return StepOutcome("", None, error=f"cannot start {self.argv[0]!r}: {exc.strerror}")
        try:
            out, err = proc.communicate(timeout=deadline)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            timed_out = True
        return StepOutcome(
            out.decode("utf-8", "replace"),
            None if timed_out else proc.returncode,
            timed_out=timed_out,
            stderr=err.decode("utf-8", "replace"),
            error=f"killed after {deadline:g}s without finishing" if timed_out else "",
        )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's process group (its id is the child's PID: start_new_session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.kill()


def adapter_for(client: str) -> Adapter:
    """`reference` → the in-process reference client; anything else → a command."""
    if client == "reference":
        return ReferenceAdapter()
    return CommandAdapter(client)
