"""Good client B, export (v1.9 §3.5): pre-check, submit, poll, new id on failure, download."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
from b_wire import API, sleep

MAX_POLLS = 10  # v1.9 §3.5: every 30s, max 10 polls; B counts 10 without completion as failure


def _status(job: Any) -> tuple[str, dict[str, Any]]:
    """Status at top level (v1.9) or inside `data`; the job dict."""
    if isinstance(job, dict) and "status" not in job and isinstance(job.get("data"), dict):
        job = job["data"]
    job = job if isinstance(job, dict) else {}
    return str(job.get("status") or ""), job


def _download(url: str, rid: str, api_headers: dict[str, str]) -> Path | None:
    """output.url as it is; the documented fallback is an API request (attribution + bearer)."""
    folder = Path(os.environ.get("NEMO_DOWNLOAD_DIR") or Path.cwd())
    target = folder / f"{rid}.mp4"
    for source in (url, f"{API}/api/render/proxy/{rid}/download"):
        if not source:
            continue
        try:
            headers = api_headers if source.startswith(f"{API}/api/") else {}
            with httpx.stream(
                "GET", source, headers=headers, timeout=60, follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as fh:
                    for chunk in response.iter_bytes():
                        fh.write(chunk)
            return target
        except httpx.HTTPError:
            continue
    return None


def export(b: Any) -> int:
    """Returns the exit status; prints what the user reads."""
    state = b.state()
    draft = (state.get("state") or {}).get("draft") or {}
    tracks = draft.get("t") if isinstance(draft, dict) else None
    if not (isinstance(tracks, list) and any(isinstance(t, dict) and t.get("sg") for t in tracks)):
        print(b.t("no_draft"))
        return 3
    for _attempt in (1, 2):  # v1.9 §3.5: on failure → new id, retry once
        rid = f"render_{time.time_ns() // 1_000_000}"
        body = {
            "id": rid,
            "sessionId": b.session(),
            "draft": draft,
            "output": {"format": "mp4", "quality": "high"},
        }
        status, job = _status(b.call("POST", "/api/render/proxy/lambda", json=body))
        print(b.t("rendering"), flush=True)
        polls = 0
        while status not in ("completed", "failed") and polls < MAX_POLLS:
            sleep(30)
            status, job = _status(b.call("GET", f"/api/render/proxy/lambda/{rid}"))
            polls += 1
        if status == "completed":
            url = str((job.get("output") or {}).get("url") or "")
            api_headers = {**b.http.client.headers, "Authorization": f"Bearer {b.token()}"}
            saved = _download(url, rid, api_headers)
            print(b.t("ready", path=saved) if saved else b.t("ready_url", url=url))
            if b.link():
                print(b.link())  # v1.9 §3.5 e): always also give the task detail link
            return 0
    print(b.t("render_failed"))
    return 4
