"""The control plane (/_mock/...): health, reset, clock, config and the journal (DESIGN §5).

Guarded: with an admin token set, every call needs `X-Admin-Token` (or `Authorization: Bearer`);
callers that are not on loopback are refused unless `allow_remote_admin` is set.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from mock_server.errors import ApiError
from mock_server.http import ok, read_json, world_of
from mock_server.settings import SettingsError

LOOPBACK = ("127.", "::1", "localhost", "testclient")
FROZEN_AT_RUNTIME = ("host", "port", "admin_token", "allow_remote_admin", "state_file", "seed")


def guard(request: Request) -> None:
    """Refuse callers the settings do not allow (403 in the envelope)."""
    settings = world_of(request).settings
    host = request.client.host if request.client else ""
    if not settings.allow_remote_admin and not host.startswith(LOOPBACK):
        raise ApiError(400, "The control plane only answers loopback clients.", http_status=403)
    if settings.admin_token:
        given = request.headers.get("x-admin-token") or ""
        if not given:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            given = value if scheme.lower() == "bearer" else ""
        if not hmac.compare_digest(given.encode(), settings.admin_token.encode()):
            raise ApiError(400, "Control plane: missing or wrong X-Admin-Token.", http_status=401)


async def health(request: Request) -> Response:
    """Liveness, with the seed and the virtual time."""
    guard(request)
    world = world_of(request)
    return ok({"status": "ok", "seed": world.settings.seed, "clock": world.clock.state()})


async def reset(request: Request) -> Response:
    """Forget all state and the journal (settings are kept)."""
    guard(request)
    world = world_of(request)
    world.reset()
    return ok({"reset": True, "clock": world.clock.state()})


async def clock(request: Request) -> Response:
    """The virtual clock: now and time_scale."""
    guard(request)
    return ok(world_of(request).clock.state())


async def clock_advance(request: Request) -> Response:
    """Move the virtual clock forward by `seconds`."""
    guard(request)
    body = await read_json(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ApiError(400, "`seconds` must be a number >= 0.")
    world = world_of(request)
    world.clock.advance(float(seconds))
    return ok(world.clock.state())


async def config(request: Request) -> Response:
    """GET: the settings in force. PATCH: change some (e.g. {"error_status": "http"})."""
    guard(request)
    world = world_of(request)
    if request.method == "PATCH":
        body = await read_json(request)
        frozen = sorted(set(body) & set(FROZEN_AT_RUNTIME))
        if frozen:
            raise ApiError(
                400, f"Cannot change at run time: {', '.join(frozen)} (restart instead)."
            )
        try:
            world.configure(world.settings.merged(body))
        except (SettingsError, TypeError) as exc:
            raise ApiError(400, f"Bad settings: {exc}") from exc
    return ok(world.settings.public())


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    out: dict[str, Any] = {k: q[k] for k in ("method", "path") if k in q}
    for key in ("code", "status", "since"):
        if key in q:
            try:
                out[key] = int(q[key])
            except ValueError as exc:
                raise ApiError(400, f"`{key}` must be an integer.") from exc
    return out


async def journal(request: Request) -> Response:
    """GET: entries (filters: method, path or prefix*, code, status, since). DELETE: clear."""
    guard(request)
    world = world_of(request)
    if request.method == "DELETE":
        world.journal.clear()
        return ok({"cleared": True})
    entries = world.journal.query(_filters(request))
    return ok({"entries": entries, "count": len(entries), "dropped": world.journal.dropped})


async def journal_ndjson(request: Request) -> Response:
    """The journal as JSON lines (same filters)."""
    guard(request)
    world = world_of(request)
    text = world.journal.ndjson(world.journal.query(_filters(request)))
    return PlainTextResponse(text, media_type="application/x-ndjson")
