"""The export workflow: pre-check, submit, poll, retry once on failure, download, claim link.

Seeds: POST /api/render/proxy/lambda with ``{"id": "render_<ts>", ...}``, poll every 30 s until
completed (v1.9: at most 10 polls); on failure a new id and one retry; download from
``output.url``, else the fallback ``/api/render/proxy/<id>/download``. The link the user gets is a
claim link (``/workspace/claim?ct=<claim token>``, the one obtained after session creation,
v1.9 §3.5e) — never the real token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from nemo_mock import contracts
from nemo_mock.client._api import Api, api_path
from nemo_mock.client._errors import NemoError, RenderFailed, RenderTimeout, UsageError
from nemo_mock.client._models import RenderJob

T = TypeVar("T")


class Caller(Protocol):
    """Runs one API operation under the error rules (re-auth, new session, 429 retry)."""

    def __call__(self, op: Callable[[], T]) -> T: ...


@dataclass(frozen=True)
class ExportResult:
    """Where the video went, its size, and the claim link (None when it could not be made)."""

    render_id: str
    path: Path
    size: int
    claim_link: str | None


class RenderIds:
    """``render_<ms timestamp>``, always fresh (a retry never reuses an id)."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now, self._last = now, 0

    def __call__(self) -> str:
        stamp = max(int(self._now() * 1000), self._last + 1)
        self._last = stamp
        return f"render_{stamp}"


@dataclass
class Exporter:
    """One export, driven through ``call`` so every request follows the error rules."""

    api: Api
    call: Caller
    wait: Callable[[float], None]
    say: Callable[[str], None]
    progress: Callable[[float], None]
    new_id: Callable[[], str]

    def run(
        self,
        session_id: Callable[[], str],
        claim_link: Callable[[], str | None],
        dest: Path | None,
    ) -> ExportResult:
        """Render the session's draft and download it to ``dest`` (default: download dir)."""
        state = self.call(lambda: self.api.state(session_id()))
        if not contracts.has_content(state.draft):
            raise UsageError(
                "There is nothing to export yet: the timeline is empty.",
                hint="Tell me what to create first, e.g. 'make a 10-second clip of a beach'.",
            )
        job = self._render(session_id, state.draft)
        target = dest or self.api.config.download_dir / f"{job.id}.mp4"
        size = self._download(job, target)
        return ExportResult(job.id, target, size, claim_link())

    def _render(self, session_id: Callable[[], str], draft: dict[str, object]) -> RenderJob:
        render = contracts.facts()["render"]
        every, max_polls = float(render["poll_every_seconds"]), int(render["max_polls"])
        for attempt in range(2):
            render_id = self.new_id()

            def submit(rid: str = render_id) -> RenderJob:
                return self.api.submit_render(rid, session_id(), draft)

            def status(rid: str = render_id) -> RenderJob:
                return self.api.render_status(rid)

            job = self.call(submit)
            self.say("Rendering your video..." if attempt == 0 else "Rendering again...")
            polls = 0
            while job.status not in ("completed", "failed") and polls < max_polls:
                self.wait(every)
                job = self.call(status)
                polls += 1
                self.progress(job.progress)
            if job.status == "completed":
                return job
            if job.status != "failed":
                raise RenderTimeout(f"The render was not finished after {polls} checks.")
            if attempt == 0:
                self.say("The render failed; retrying once with a new render job.")
        raise RenderFailed(f"The render failed twice ({job.error or 'no reason given'}).")

    def _download(self, job: RenderJob, dest: Path) -> int:
        if job.url:
            try:
                return self.api.download(job.url, dest, authed=False)
            except NemoError:
                self.say("The direct download did not work; using the fallback link.")
        path = api_path("renderDownload", render_id=job.id)
        return self.call(lambda: self.api.download(path, dest, authed=True))
