"""The render job's lifecycle as pure functions of virtual time.

pending -> processing -> completed | failed [v1.9]; completes 30-90 s after submission [seeds];
progress is 0..1 and never decreases because it is computed from a clock that never goes back.
"""

from __future__ import annotations

from typing import Any

from nemo_mock.server.model import Render


def status_at(render: Render, now: float) -> tuple[str, float]:
    """(status, progress) of `render` at virtual time `now`."""
    elapsed = now - render.submitted_at
    if elapsed < render.pending_seconds:
        return "pending", 0.0
    work = max(render.duration - render.pending_seconds, 1e-9)
    fraction = min((elapsed - render.pending_seconds) / work, 1.0)
    if render.stalled:
        return "processing", round(min(fraction, 0.5), 4)
    if render.fails and fraction >= render.fail_fraction:
        return "failed", round(render.fail_fraction, 4)
    if fraction >= 1.0:
        return "completed", 1.0
    return "processing", round(fraction, 4)


def view(render: Render, now: float, base_url: str) -> dict[str, Any]:
    """The `data` of GET /api/render/proxy/lambda/{id}."""
    status, progress = status_at(render, now)
    output = None
    if status == "completed":
        output = {
            "url": f"{base_url}/media/renders/{render.media_name}",
            "size": render.output.get("size", 0),
            "duration": round(render.draft_ms / 1000.0, 3),
        }
    error = (
        "Render failed on the GPU node; submit again with a new id." if status == "failed" else None
    )
    return {
        "id": render.id,
        "status": status,
        "progress": progress,
        "output": output,
        "error": error,
    }
