"""The rules where the sources allow more than one reading, each applied as its setting says.

Settings (mock_server/settings.py READINGS; contracts/README.md "Readings" gives each one's source):
`attribution_required` export | everywhere, `export_402` missing_attribution |
exhausted_anonymous, `edit_charge` session | turn, `render_status_shape` envelope | bare | success.
Pure functions of the settings and the entities, so the route and the polled fast path agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nemo_mock import contracts
from nemo_mock.server.errors import ApiError, envelope_bytes, json_bytes
from nemo_mock.server.model import Session, User
from nemo_mock.server.settings import Settings


def missing(header: Callable[[str], str | None]) -> list[str]:
    """The attribution headers (names as the seeds spell them) that `header(name)` lacks."""
    return [n for n in contracts.facts()["attribution_headers"] if not (header(n) or "").strip()]


def attribution_everywhere(settings: Settings) -> bool:
    """Every authenticated call needs the attribution headers (`attribution_required`
    everywhere); otherwise only the export judges them (`export_blocked`)."""
    return settings.attribution_required == "everywhere"


def require_attribution(settings: Settings, lacking: list[str]) -> None:
    """`everywhere`: an authenticated call without every attribution header is an auth failure.

    v1.9 §3: "ALL API requests MUST include `Authorization: Bearer $TOKEN` and the following
    attribution headers. Missing them will cause auth failures or export 402." The export itself
    is judged by `export_blocked` (402) first.
    """
    if attribution_everywhere(settings) and lacking:
        raise ApiError(
            1001,
            f"Request not attributed (missing {', '.join(lacking)}): send the X-Skill-* headers "
            "on every request.",
        )


def export_blocked(settings: Settings, user: User, lacking: list[str]) -> bool:
    """True when an export without all attribution headers answers 402.

    `missing_attribution` (seeds: "Missing attribution headers will cause export to fail with
    402"): any user. `exhausted_anonymous` (CHANGELOG 1.5: exports were refused for anonymous
    users whose credits ran out): an anonymous user with no credits available.
    """
    if not lacking:
        return False
    if settings.export_402 == "missing_attribution":
        return True
    return not user.registered and user.available <= 0


def turn_cost(settings: Settings, kind: str, session: Session) -> int:
    """Credits a turn of `kind` freezes: `edit_charge` session charges the session's first edit
    only (v1.9 §8 "editing ~50/session"); `turn` charges every edit turn."""
    if kind == "edit":
        if settings.edit_charge == "session" and session.edit_charged:
            return 0
        return settings.cost_edit
    if kind == "generation":
        return settings.cost_generation
    return settings.cost_text


def render_status_bytes(settings: Settings, job: dict[str, Any]) -> bytes:
    """The success answer of a render poll in the configured shape.

    envelope: `{"code": 0, "message": "success", "data": job}`; bare: the job at top level (v1.9
    §3.5 "Status at top-level `status`"); success: `{"success": true, "data": job}`.
    """
    shape = settings.render_status_shape
    if shape == "bare":
        return json_bytes(job)
    if shape == "success":
        return json_bytes({"success": True, "data": job})
    return envelope_bytes(0, "success", job)
