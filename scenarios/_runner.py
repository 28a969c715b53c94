"""Run one scenario against one client: a fresh emulator, the steps, then every expectation.

Per run: the emulator starts on a free loopback port (LiveServer) with the variant's
`error_status` and a high time scale; the scenario's server block is applied with
`mock_server.scenario.apply_server_block`; each step goes through the adapter with a fresh
NEMO_STATE_DIR (one per run, shared by its steps); the journal window of each step is recorded.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_mock.scenarios._adapters import Adapter, base_env
from nemo_mock.scenarios._expect import RunRecord, StepRecord, Verdict, evaluate_all
from nemo_mock.scenarios._model import VARIANTS, Expectation, Scenario, Step
from nemo_mock.server.balancer import RoundRobin
from nemo_mock.server.server_block import ScenarioError as ServerBlockError
from nemo_mock.server.server_block import apply_server_block
from nemo_mock.server.serving import LiveServer
from nemo_mock.server.settings import Settings, SettingsError
from nemo_mock.server.stores import StoreError
from nemo_mock.server.stores.redis import drop_world
from nemo_mock.server.world import World

DEFAULT_TIME_SCALE = 600.0
CLOCK_START = 1_800_000_000.0  # a fixed virtual epoch, so every run sees the same times
DEFAULT_UPLOAD_BYTES = 64 * 1024


@dataclass
class ScenarioResult:
    """One scenario under one variant: the steps, each expectation's verdict, and the time taken."""

    scenario: Scenario
    variant: str
    client: str
    steps: list[StepRecord] = field(default_factory=list)
    verdicts: list[tuple[Expectation, Verdict]] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
    journal: list[dict[str, Any]] = field(default_factory=list)  # for the HTML report
    secrets: set[str] = field(default_factory=set)  # token values, redacted in every report

    @property
    def id(self) -> str:
        """`name[variant]`."""
        return f"{self.scenario.name}[{self.variant}]"

    @property
    def must_failures(self) -> list[tuple[Expectation, Verdict]]:
        """Failed MUST expectations (a set-up error counts as one)."""
        return [(e, v) for e, v in self.verdicts if e.must and not v.passed]

    @property
    def should_failures(self) -> list[tuple[Expectation, Verdict]]:
        """Failed SHOULD expectations (reported, never fatal)."""
        return [(e, v) for e, v in self.verdicts if not e.must and not v.passed]

    @property
    def passed(self) -> bool:
        """True when there was no set-up error and every MUST passed."""
        return not self.error and not self.must_failures

    def failed_ids(self) -> list[str]:
        """Ids of failed MUST expectations."""
        return [e.id for e, _ in self.must_failures]


def _last_seq(world: World) -> int:
    entries = list(world.journal)
    return int(entries[-1]["seq"]) if entries else 0


def _server_block(scenario: Scenario, variant: str, time_scale: float) -> dict[str, Any]:
    block = dict(scenario.server)
    settings = dict(block.get("settings") or {})
    for name, value in VARIANTS[variant].items():
        settings.setdefault(name, value)
    settings["time_scale"] = time_scale
    block["settings"] = settings
    return block


@dataclass(frozen=True)
class SharedWorld:
    """Run every scenario against `servers` emulator servers sharing one world through `store`
    (redis://; each run gets a key prefix of its own), behind a round-robin balancer so that
    consecutive requests of the client land on different servers."""

    store: str
    servers: int = 2


class _Run:
    """The state of one run: the emulator, the work directory and the client's environment."""

    def __init__(
        self,
        scenario: Scenario,
        adapter: Adapter,
        variant: str,
        time_scale: float,
        workdir: Path,
        shared: SharedWorld | None = None,
    ) -> None:
        self.scenario, self.adapter, self.variant = scenario, adapter, variant
        self.time_scale = time_scale
        self.workdir = workdir
        settings = Settings().merged(
            {"clock_start": CLOCK_START, "time_scale": time_scale, **VARIANTS[variant]}
        )
        self.shared_store = ""
        self.balancer: LiveServer | None = None
        if shared is None:
            self.lives = [LiveServer(settings)]
        else:
            sep = "&" if "?" in shared.store else "?"
            self.shared_store = f"{shared.store}{sep}prefix=scn{uuid.uuid4().hex[:12]}:"
            settings = settings.merged({"store": self.shared_store})
            self.lives = [LiveServer(settings) for _ in range(max(1, shared.servers))]
        self.live = self.lives[0]  # the World the runner acts on (with a shared store: all's)
        self.url = ""
        self.env: dict[str, str] = {}
        self.secrets: set[str] = set()

    def start(self) -> None:
        for live in self.lives:
            live.start()
        self.url = self.live.url
        if len(self.lives) > 1:
            self.balancer = LiveServer(app=RoundRobin([live.url for live in self.lives]))
            self.url = self.balancer.start()
        block = _server_block(self.scenario, self.variant, self.time_scale)
        self.live.call(apply_server_block, self.live.world, block)
        self.live.call(self.live.world.clock.restore, CLOCK_START, self.time_scale)
        (self.workdir / "state").mkdir()
        (self.workdir / "downloads").mkdir()
        (self.workdir / "files").mkdir()
        env = base_env()
        env.update(
            {
                "HOME": str(self.workdir),
                "NEMO_API_URL": self.url,
                "NEMO_WEB_URL": self.url,
                "NEMO_STATE_DIR": str(self.workdir / "state"),
                "NEMO_TIME_SCALE": f"{self.time_scale:g}",
                "NEMO_DOWNLOAD_DIR": str(self.workdir / "downloads"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        client = self.scenario.client
        env.update(client.get("env") or {})
        registered = client.get("registered")
        if registered is not None:
            token, _user = self.live.call(self.live.world.register_user, int(registered["credits"]))
            env["NEMO_TOKEN"] = token.value
            self.secrets.add(token.value)
        self.env = env

    def stop(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()
        for live in self.lives:
            live.stop()
        if self.shared_store:
            drop_world(self.shared_store)

    # -- steps -------------------------------------------------------------------------------
    def step(self, step: Step, budget: float) -> StepRecord:
        world = self.live.world
        start_seq, started = _last_seq(world), time.monotonic()
        outcome = None
        error = ""
        if step.kind == "say":
            outcome = self.adapter.run(
                str(step.value), self.env, self.workdir, min(step.deadline, budget)
            )
        elif step.kind == "upload":
            outcome = self.adapter.run(
                self._upload_utterance(step.value),
                self.env,
                self.workdir,
                min(step.deadline, budget),
            )
        elif step.kind == "advance":
            self.live.call(world.clock.advance, float(step.value))
        else:
            error = self.live.call(self._control, step.value)
        record = StepRecord(
            id=step.id,
            kind=step.kind,
            label=step.describe(),
            output=outcome.output if outcome else "",
            stderr=outcome.stderr if outcome else "",
            exit_code=outcome.exit_code if outcome else None,
            timed_out=outcome.timed_out if outcome else False,
            error=(outcome.error if outcome else "") or error,
            seq_from=start_seq,
            seq_to=_last_seq(world),
            seconds=round(time.monotonic() - started, 3),
        )
        return record

    def _upload_utterance(self, spec: Mapping[str, Any]) -> str:
        if "url" in spec:
            return f"upload {spec['url']}"
        path = self.workdir / "files" / str(spec["file"])
        with path.open("wb") as fh:  # sparse: a 500 MB file costs no disk and no time to make
            fh.truncate(int(spec.get("size", DEFAULT_UPLOAD_BYTES)))
        return f"upload {path}"

    def _control(self, action: Mapping[str, Any]) -> str:
        """A control step (run on the server's loop: `LiveServer.call`)."""
        world = self.live.world
        if action.get("expire_token"):
            for token in world.tokens.values():
                world.expire_token(token)
        elif action.get("revoke_token"):
            for token in world.tokens.values():
                world.revoke_token(token)
        elif action.get("expire_session"):
            for session in world.sessions.values():
                world.expire_session(session)
        elif "fault" in action:
            world.faults.add(action["fault"])
        elif action.get("clear_faults"):
            world.faults.clear()
        elif "config" in action:
            world.configure(world.settings.merged(action["config"]))
        return ""


def run_scenario(
    scenario: Scenario,
    adapter: Adapter,
    variant: str = "body",
    *,
    time_scale: float | None = None,
    shared: SharedWorld | None = None,
) -> ScenarioResult:
    """Run `scenario` with `adapter` under `variant` (error_status body or http); against
    several servers sharing one world when `shared` is given."""
    scale = float(scenario.time_scale or time_scale or DEFAULT_TIME_SCALE)
    result = ScenarioResult(scenario, variant, adapter.name)
    began = time.monotonic()
    deadline = began + scenario.deadline
    with tempfile.TemporaryDirectory(prefix=f"nemo-scn-{scenario.name}-") as tmp:
        run = _Run(scenario, adapter, variant, scale, Path(tmp), shared)
        try:
            run.start()
        except (ServerBlockError, SettingsError, ValueError, RuntimeError, StoreError) as exc:
            run.stop()
            result.error = f"set-up failed: {exc}"
            result.seconds = round(time.monotonic() - began, 3)
            return result
        try:
            for step in scenario.steps:
                budget = deadline - time.monotonic()
                if budget <= 0:
                    result.steps.append(
                        StepRecord(
                            step.id,
                            step.kind,
                            step.describe(),
                            timed_out=True,
                            error="scenario deadline passed before this step",
                        )
                    )
                    continue
                result.steps.append(run.step(step, budget))
            world = run.live.world
            record = RunRecord(
                steps=result.steps,
                journal=list(world.journal),
                secrets=run.secrets | set(world.tokens),
            )
            result.verdicts = evaluate_all(scenario.expect, record)
            result.journal, result.secrets = record.journal, record.secrets
        finally:
            run.stop()
    result.seconds = round(time.monotonic() - began, 3)
    return result
