"""The control plane (/_mock/...): health, reset, clock, config, journal, faults, verify, tokens and
users, state snapshots and scenarios (DESIGN §5; documented in contracts/control-openapi.yaml).

Guarded: with an admin token set, every call needs `X-Admin-Token` (or `Authorization: Bearer`, or
`Basic` with the token as password, which is how a browser on the dashboard sends it);
callers that are not on loopback are refused unless `allow_remote_admin` is set.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from nemo_mock import contracts
from nemo_mock.server import har, restore, run_bundle, server_block, snapshot, strict_json, verify
from nemo_mock.server.errors import ApiError
from nemo_mock.server.faults import RuleError
from nemo_mock.server.http import ok, read_body, read_json, read_json_any, world_of
from nemo_mock.server.journal import fingerprint
from nemo_mock.server.model import Token
from nemo_mock.server.settings import SettingsError

LOOPBACK = ("127.", "::1", "::ffff:127.", "localhost", "testclient")
MAX_STATE_BYTES = 256 * 1024 * 1024  # PUT /_mock/state: a snapshot of up to 256 MiB
_JSON = "application/json"
NDJSON = "application/x-ndjson"
FROZEN_AT_RUNTIME = (
    "host",
    "port",
    "admin_token",
    "allow_remote_admin",
    "state_file",
    "store",
    "seed",
    "deterministic_secrets",
    "forwarded_allow_ips",
    "header_timeout",
)


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
            if scheme.lower() == "basic":  # a browser on /_mock/ui: any user, the token as password
                given = _basic_password(value)
        if not hmac.compare_digest(given.encode(), settings.admin_token.encode()):
            raise ApiError(400, "Control plane: missing or wrong X-Admin-Token.", http_status=401)


def _basic_password(value: str) -> str:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


async def health(request: Request) -> Response:
    """Liveness, with the seed and the virtual time."""
    guard(request)
    world = world_of(request)
    data: dict[str, Any] = {
        "status": "ok",
        "seed": world.settings.seed,
        "clock": world.clock.state(),
    }
    saver = snapshot.autosaver_of(world)
    if saver is not None:
        data["autosave"] = {
            "saves": saver.saves,
            "pending": saver.pending,
            "last_duration": round(saver.last_duration, 6),
        }
    return ok(data)


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


async def _encoded(
    request: Request, encode: Callable[[dict[str, Any]], bytes], sep: bytes = b","
) -> tuple[bytes, int]:
    """Matching journal entries encoded and joined by `sep`, batch by batch with the event loop
    free in between (a full journal takes seconds to encode). A bad filter answers 400 first."""
    world = world_of(request)
    filters = _filters(request)
    parts, count = [], 0
    for batch in world.journal.batches(filters):
        parts += [encode(e) for e in batch]
        count += len(batch)
        await asyncio.sleep(0)
    return sep.join(parts), count


async def journal(request: Request) -> Response:
    """GET: entries (filters: method, path glob, code, status, since). DELETE: clear."""
    guard(request)
    world = world_of(request)
    if request.method == "DELETE":
        world.journal.clear()
        return ok({"cleared": True})
    entries, count = await _encoded(request, strict_json.dumps)
    tail = b'],"count":%d,"dropped":%d}}' % (count, world.journal.dropped)
    body = b'{"code":0,"message":"success","data":{"entries":[' + entries + tail
    return Response(body, 200, None, _JSON)


async def journal_ndjson(request: Request) -> Response:
    """The journal as JSON lines (same filters)."""
    guard(request)
    lines, count = await _encoded(request, strict_json.dumps, b"\n")
    return Response(lines + b"\n" if count else b"", 200, None, NDJSON)


async def journal_har(request: Request) -> Response:
    """The journal as HAR 1.2 (same filters)."""
    guard(request)
    host = request.headers.get("host", "127.0.0.1")
    entries, _ = await _encoded(request, lambda e: strict_json.dumps(har.har_entry(e, host)))
    return Response(har.har_bytes([entries] if entries else []), 200, None, _JSON)


async def openapi_json(request: Request) -> Response:
    """The control plane's OpenAPI document."""
    guard(request)
    return JSONResponse(contracts.control_openapi())


# -- faults ------------------------------------------------------------------------------------
def _rule_error(exc: RuleError) -> ApiError:
    return ApiError(400, f"Bad fault rule: {exc}", {"field": exc.field})


async def faults(request: Request) -> Response:
    """GET: every rule with counters. POST: add a rule ({"rules": [...]} or a list adds several).
    DELETE: remove every rule."""
    guard(request)
    world = world_of(request)
    if request.method == "DELETE":
        removed = len(world.faults)
        world.faults.clear()
        return ok({"removed": removed})
    if request.method == "POST":
        body = await read_json_any(request)
        many = isinstance(body, list) or (isinstance(body, dict) and "rules" in body)
        items = body if isinstance(body, list) else body.get("rules") if many else [body]
        if not isinstance(items, list):
            raise ApiError(400, "Bad fault rule: rules: must be a list", {"field": "rules"})
        try:
            added = world.faults.add_many(items)
        except RuleError as exc:
            raise _rule_error(exc) from exc
        if many:
            return ok({"rules": [r.to_json() for r in added]})
        return ok(added[0].to_json())
    return ok({"rules": [r.to_json() for r in world.faults.rules()]})


async def fault(request: Request) -> Response:
    """GET: one rule with its counters. DELETE: remove it."""
    guard(request)
    world = world_of(request)
    rule_id = request.path_params["rule_id"]
    rule = world.faults.get(rule_id)
    if rule is None:
        raise ApiError(404, f"No fault rule {rule_id!r}.")
    if request.method == "DELETE":
        world.faults.remove(rule_id)
        return ok({"removed": rule_id})
    return ok(rule.to_json())


# -- verify ------------------------------------------------------------------------------------
async def verify_(request: Request) -> Response:
    """Judge one expectation of the one language on the journal: {ok, message, matched,
    similar} (see verify.py)."""
    guard(request)
    body = await read_json(request)
    try:
        result = verify.check(world_of(request).journal, body)
    except RuleError as exc:
        raise ApiError(400, f"Bad expectation: {exc}", {"field": exc.field}) from exc
    return ok(result.to_json())


# -- tokens and users --------------------------------------------------------------------------
async def _token_of(request: Request) -> Token:
    body = await read_json(request)
    world = world_of(request)
    value, fp = body.get("token"), body.get("fingerprint")
    if isinstance(value, str) and value:
        token = world.tokens.get(value)
    elif isinstance(fp, str) and fp:
        token = next((t for t in world.tokens.values() if fingerprint(t.value) == fp), None)
    else:
        raise ApiError(400, "Give `token` (the bearer token) or `fingerprint` (as in the journal).")
    if token is None:
        raise ApiError(404, "No such token.")
    return token


def _token_view(request: Request, token: Token) -> dict[str, Any]:
    now = world_of(request).now()
    return {
        "fingerprint": fingerprint(token.value),
        "user_id": token.user_id,
        "revoked": token.revoked,
        "expires_at": token.expires_at,
        "live": token.live(now),
    }


async def token_revoke(request: Request) -> Response:
    """Revoke a token: every later use answers 1001."""
    guard(request)
    token = await _token_of(request)
    world_of(request).revoke_token(token)
    return ok(_token_view(request, token))


async def token_expire(request: Request) -> Response:
    """Expire a token now (as if its 7 days had passed): 1001, and the client id may mint again."""
    guard(request)
    token = await _token_of(request)
    world_of(request).expire_token(token)
    return ok(_token_view(request, token))


def _credits(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ApiError(400, f"`{name}` must be an integer >= 0.")
    return value


async def users(request: Request) -> Response:
    """A registered user with `credits` and a token (2001 answers carry no bind id for it)."""
    guard(request)
    body = await read_json(request)
    world = world_of(request)
    token, user = world.register_user(_credits(body.get("credits", 0), "credits"))
    return ok(
        {
            "user_id": user.id,
            "token": token.value,
            "registered": True,
            "credits": {"available": user.available, "frozen": user.frozen, "total": user.total},
            "expires_in": int(token.expires_at - world.now()),
        }
    )


async def user_credits(request: Request) -> Response:
    """Top up (`credits`: added) or set (`total`) a user's credits."""
    guard(request)
    body = await read_json(request)
    world = world_of(request)
    user = world.users.get(request.path_params["user_id"])
    if user is None:
        raise ApiError(404, "No such user.")
    if "total" in body:
        total = _credits(body["total"], "total")
        if total < user.frozen:
            raise ApiError(
                400, f"`total` cannot be below the {user.frozen} credits running turns hold."
            )
        user.total = total
    else:
        user.total += _credits(body.get("credits"), "credits")
    return ok(
        {
            "user_id": user.id,
            "available": user.available,
            "frozen": user.frozen,
            "total": user.total,
        }
    )


# -- state and scenarios -----------------------------------------------------------------------
async def state(request: Request) -> Response:
    """GET: a snapshot of all state. PUT: restore one (the journal starts empty)."""
    guard(request)
    world = world_of(request)
    if request.method == "PUT":
        raw = await read_body(request, MAX_STATE_BYTES)
        try:  # parsed and validated in a worker thread: the event loop keeps serving
            parsed = await asyncio.to_thread(restore.parse_bytes, raw, "body")
        except restore.SnapshotError as exc:
            raise ApiError(400, f"Not restored (nothing changed): {exc}") from exc
        restore.apply(world, parsed)
        return ok({"restored": True, "clock": world.clock.state()})
    data = await snapshot.snapshot_bytes_async(world)
    return Response(b'{"code":0,"message":"success","data":' + data + b"}", 200, None, _JSON)


async def bundle(request: Request) -> Response:
    """What reproduces this run: seed, settings, fault rules, clock start, journal."""
    guard(request)
    return ok(run_bundle.dump_run(world_of(request)))


async def scenario_(request: Request) -> Response:
    """Apply a scenario's server block (JSON or YAML; a whole scenario file is accepted)."""
    guard(request)
    world = world_of(request)
    try:
        block = server_block.block_from_json(await read_body(request))
        server_block.apply_server_block(world, block)
    except server_block.ScenarioError as exc:
        raise ApiError(400, str(exc)) from exc
    return ok(
        {
            "applied": sorted(block),
            "seed": world.settings.seed,
            "faults": [r.to_json() for r in world.faults.rules()],
        }
    )
