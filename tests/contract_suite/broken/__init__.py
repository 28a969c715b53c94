"""Deliberately broken servers: each is our emulator with one contract rule broken.

`BROKEN` maps a name to (build, the MUST check that catches it). `build(settings)` returns
(app, world) for a LiveServer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nemo_mock.server import Settings, World

from . import new, original

Build = Callable[[Settings], tuple[Any, World]]

BROKEN: dict[str, tuple[Build, str]] = {
    "envelope_code_as_string": (original.envelope_code_as_string, "token.flow"),
    "render_goes_backwards": (original.render_goes_backwards, "render.lifecycle"),
    "foreign_session_readable": (
        original.foreign_session_readable,
        "error.1002_foreign_session",
    ),
    "heic_wrong_code": (original.heic_wrong_code, "error.4001_heic"),
    "token_never_expires": (original.token_never_expires, "token.expiry"),
    "crash_without_language": (original.crash_without_language, "session.language_optional"),
    "no_heartbeats": (original.no_heartbeats, "sse.heartbeats"),
    "done_frame": (new.done_frame, "sse.framing"),
    "prestream_as_stream": (new.prestream_as_stream, "sse.prestream_errors"),
    "edit_turn_without_events": (new.edit_turn_without_events, "sse.edit_turn"),
    "range_ignored": (new.range_ignored, "render.range"),
    "export_402_not_enforced": (
        new.export_402_not_enforced,
        "error.402_export_without_attribution",
    ),
    "per_client_limit_ignored": (new.per_client_limit_ignored, "token.per_client_limit"),
    "blank_client_id_accepted": (new.blank_client_id_accepted, "token.missing_client_id"),
    "upload_limit_ignores_profile": (new.upload_limit_ignores_profile, "error.4002_too_large"),
    "wrong_status_in_http_mode": (new.wrong_status_in_http_mode, "error.status_mode"),
    "token_always_429": (new.token_always_429, "token.flow"),
    "render_fails_at_once": (new.render_fails_at_once, "render.lifecycle"),
    "fallback_serves_other_bytes": (new.fallback_serves_other_bytes, "render.download_fallback"),
    "claim_page_without_session": (new.claim_page_without_session, "claim.page"),
}
