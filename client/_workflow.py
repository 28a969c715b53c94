"""The agent: bootstrap, routing, turns, recovery and every error rule of the seeds' table.

``Agent(config).handle("add background music")`` returns an :class:`Outcome` (exit code and the
text the user saw). Waits are virtual seconds divided by ``config.time_scale`` and go through
the injected ``sleep``; nothing is ever re-sent to /run_sse.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from nemo_mock import contracts
from nemo_mock.client import _messages as msg
from nemo_mock.client._api import Api
from nemo_mock.client._config import Config
from nemo_mock.client._connection import Connection
from nemo_mock.client._errors import (
    NemoError,
    NetworkError,
    TurnTimeout,
    UsageError,
)
from nemo_mock.client._export import Exporter, RenderIds
from nemo_mock.client._gui import Action, translate
from nemo_mock.client._models import SessionState
from nemo_mock.client._routing import Intent, Route, route
from nemo_mock.client._state import StateStore, StoredState
from nemo_mock.client._turn import DROPPED, ERROR, TIMEOUT, read_turn

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """The exit code (0 ok, 1 API/user-facing failure, 3 timeout/network) and the text shown."""

    exit_code: int
    output: str


class Agent:
    """The reference client. Injectable: httpx ``transport``, ``sleep``, ``clock``, ``out``."""

    def __init__(
        self,
        config: Config,
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        out: Callable[[str], None] | None = None,
        progress: Callable[[float], None] | None = None,
        new_client_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        new_render_id: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self.api = Api(config, transport)
        self._sleep, self._clock, self._out = sleep, clock, out
        self.conn = Connection(
            config,
            self.api,
            StateStore(config.state_dir),
            say=self.say,
            wait=self.wait,
            new_client_id=new_client_id,
        )
        self._progress = progress
        self._new_render_id = new_render_id or RenderIds()
        self._lines: list[str] = []
        self._last_pct = -1

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.api.close()

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- entry points ------------------------------------------------------------------------

    def handle(self, utterance: str) -> Outcome:
        """Route one utterance (seeds' table) and carry it out."""
        return self.run(route(utterance))

    def run(self, where: Route, dest: Path | None = None) -> Outcome:
        """Carry out a route; errors become a message and an exit code, never a traceback."""
        self._lines = []
        try:
            if not where.text.strip() and where.intent is Intent.CHAT:
                raise UsageError("Say what you'd like to make or change.")
            if where.intent is Intent.EXPORT:
                self._export(dest)
            elif where.intent is Intent.CREDITS:
                self._credits()
            elif where.intent is Intent.STATUS:
                self._status()
            elif where.intent is Intent.UPLOAD:
                self._upload(where.target)
            else:
                self._chat(where.text)
            code = 0
        except NemoError as err:
            self.say(self.explain(err))
            code = err.exit_code
        return Outcome(code, "\n".join(self._lines))

    def say(self, line: str) -> None:
        """Show a line to the user (collected for the Outcome, and sent to ``out``)."""
        self._lines.append(line)
        if self._out is not None:
            self._out(line)

    def explain(self, err: NemoError) -> str:
        """The user-facing message for an error (seeds' error table)."""
        return msg.explain(
            err, self.config, registered=self.registered, task_id=self.stored.task_id
        )

    @property
    def registered(self) -> bool:
        """True when the user supplied NEMO_TOKEN and it is the token in use."""
        return self.conn.registered

    @property
    def stored(self) -> StoredState:
        """The persisted state (client id, session id, task id)."""
        return self.conn.stored

    @property
    def session_id(self) -> str:
        """The current session id (after ``ensure_ready``)."""
        return self.conn.session_id

    def ensure_ready(self) -> None:
        """A token (NEMO_TOKEN, stored, or a new anonymous one) and a session."""
        self.conn.ensure_ready()

    def call(self, op: Callable[[], T]) -> T:
        """Run ``op`` under the error rules: 1001 re-auth, 1002 new session, 429 wait; once each."""
        return self.conn.call(op)

    def wait(self, virtual_seconds: float) -> None:
        """Sleep a documented number of seconds, scaled by NEMO_TIME_SCALE."""
        self._sleep(virtual_seconds / self.config.time_scale)

    # -- routes ------------------------------------------------------------------------------

    def _credits(self) -> None:
        self.say(msg.credits_text(self.call(self.api.credits)))

    def _state(self) -> SessionState:
        return self.call(lambda: self.api.state(self.session_id))

    def _status(self) -> None:
        self.say(msg.status_text(self._state()))

    def _upload(self, target: str | None) -> None:
        if not target:
            raise UsageError("Which file? Say 'upload' followed by a file path or URL.")
        if target.lower().startswith(("http://", "https://")):
            files = self.call(lambda: self.api.upload_urls(self.session_id, [target]))
        else:
            path = Path(target).expanduser()
            if not path.is_file():
                raise UsageError(f"File not found: {target}", hint="Check the path.")
            files = self.call(lambda: self.api.upload_file(self.session_id, path))
        self.say(msg.uploaded_text(files))

    def _report_progress(self, fraction: float) -> None:
        if self._progress is not None:
            self._progress(fraction)
            return
        pct = int(max(0.0, min(1.0, fraction)) * 100)
        if pct != self._last_pct:
            self._last_pct = pct
            self.say(f"Rendering... {pct}%")

    def _export(self, dest: Path | None) -> None:
        self._last_pct = -1
        exporter = Exporter(
            api=self.api,
            call=self.call,
            wait=self.wait,
            say=self.say,
            progress=self._report_progress,
            new_id=self._new_render_id,
        )
        result = exporter.run(lambda: self.session_id, self.conn.claim_link, dest)
        self.say(f"Your video is ready: {result.path} ({msg.size_text(result.size)}).")
        if result.claim_link:
            self.say(f"Open your project in the browser: {result.claim_link}")

    # -- the SSE turn --------------------------------------------------------------------------

    def _try_state(self) -> SessionState | None:
        try:
            return self._state()
        except NemoError:
            return None

    def _chunks(self, response: httpx.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_bytes()
        except httpx.TransportError as exc:
            raise NetworkError(f"The stream broke ({type(exc).__name__}).") from exc

    def _chat(self, text: str) -> None:
        self.ensure_ready()
        before = self._try_state()
        try:
            response = self.call(lambda: self.api.open_turn(self.session_id, text))
        except NetworkError as err:
            if not err.sent:
                raise
            return self._recover(before)
        try:
            result = read_turn(
                self._chunks(response),
                clock=self._clock,
                time_scale=self.config.time_scale,
                notify=self.say,
            )
        finally:
            response.close()
        if result.ended == DROPPED:
            return self._recover(before)
        if result.ended == ERROR:
            raise NemoError(
                f"The backend reported an error: {result.error}.",
                hint="Nothing was sent again; you can repeat the request if you still want it.",
            )
        if result.ended == TIMEOUT:
            after = self._try_state()
            if after is not None and before is not None and after.differs_from(before):
                return self.say(msg.describe_change(before, after))
            raise TurnTimeout("The backend only sent heartbeats for 10 minutes.")
        if result.texts:
            return self._show(result.texts)
        self._silent_close(before, temporary_issue=result.temporary_issue)

    def _show(self, texts: list[str]) -> None:
        actions: list[Action] = []
        for text in texts:
            translation = translate(text)
            if translation.text:
                self.say(translation.text)
            actions += translation.actions
        if Action.STATE in actions:
            state = self._try_state()
            if state is not None:
                self.say(contracts.summary(state.draft))

    def _silent_close(self, before: SessionState | None, *, temporary_issue: bool) -> None:
        """Seeds: no text part → query the state and tell the user what was updated."""
        after = self._try_state()
        if after is None:
            raise NemoError("The request finished, but the timeline could not be read.")
        if before is None or after.differs_from(before):
            return self.say(msg.describe_change(before, after))
        if temporary_issue:
            raise NemoError(
                "The backend hit a temporary issue and the timeline did not change.",
                hint="You can repeat the request.",
            )
        self.say("The request finished, but the timeline did not change.")
        self.say(contracts.summary(after.draft))

    def _recover(self, before: SessionState | None) -> None:
        """v1.9 §3.6: never re-send; wait 30 s, query; unchanged → every 60 s, 5 queries in all."""
        rules: dict[str, Any] = contracts.facts()["client_recovery"]
        self.say("The connection dropped. Checking whether your request went through...")
        waits = [rules["first_wait_seconds"]]
        waits += [rules["then_wait_seconds"]] * (rules["max_unchanged_polls"] - 1)
        for seconds in waits:
            self.wait(seconds)
            after = self._try_state()
            if after is not None and (before is None or after.differs_from(before)):
                return self.say(msg.describe_change(before, after))
        raise NetworkError(
            "Your request did not go through: the timeline was unchanged after "
            f"{len(waits)} checks.",
            hint="Say the same request again to retry.",
        )
