"""Small helpers shared by the handlers: the world, JSON bodies, attribution, the answer."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from nemo_mock import contracts
from nemo_mock.server.endpoints import base_url_of
from nemo_mock.server.errors import ApiError, Envelope
from nemo_mock.server.journal import ATTRIBUTION
from nemo_mock.server.model import Session, User
from nemo_mock.server.readings import attribution_everywhere, missing, require_attribution
from nemo_mock.server.strict_json import MAX_DEPTH, StrictJsonError, dumps_text, loads
from nemo_mock.server.world import World

MAX_JSON_BYTES = 1024 * 1024  # ASSUMPTION: JSON bodies above 1 MiB answer 4002 (HTTP 413)


def world_of(request: Request) -> World:
    """The World behind this app."""
    world: World = request.app.state.world
    return world


def entry(request: Request) -> dict[str, Any]:
    """The journal entry of this exchange (a scratch dict when the request is not journalled)."""
    found: dict[str, Any] = request.scope.setdefault("state", {}).setdefault("journal_entry", {})
    return found


def note(request: Request, key: str, value: Any) -> None:
    """Add `key: value` to this exchange's journal entry."""
    entry(request)[key] = value


async def read_json(request: Request, limit: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The JSON object body; 400 when missing, not strict JSON or not an object; 4002 (HTTP 413)
    above `limit` bytes, decided from Content-Length when sent and otherwise while reading."""
    return _object(await read_json_any(request, limit))


async def read_json_any(request: Request, limit: int = MAX_JSON_BYTES) -> Any:
    """Any strict JSON value as the body (see `read_json`)."""
    body = await read_body(request, limit)
    if not body.strip():
        raise ApiError(400, "A JSON body is required.")
    try:
        data = loads(body)
    except StrictJsonError as exc:
        raise ApiError(
            400,
            f"Body is not valid JSON: {exc} (strict RFC 8259: UTF-8, no NaN/Infinity, "
            f"no lone surrogates, at most {MAX_DEPTH} levels deep).",
        ) from exc
    note(request, "body", _summary(data))
    return data


async def read_body(request: Request, limit: int = MAX_JSON_BYTES) -> bytes:
    """The raw body; 4002 (HTTP 413) above `limit` bytes (Content-Length, else while reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, "The JSON body must be an object.")
    return data


def body_too_large(limit: int) -> ApiError:
    """4002 with HTTP 413 in both error_status modes: the body is over `limit` bytes."""
    return ApiError(
        4002,
        f"Request body too large: at most {limit} bytes.",
        {"max_bytes": limit},
        http_status=413,
    )


def _summary(data: Any, limit: int = 2000) -> Any:
    text = dumps_text(data)
    return data if len(text) <= limit else {"truncated": text[:limit], "length": len(text)}


def require_str(body: dict[str, Any], *names: str, optional: bool = False) -> str | None:
    """The first of `names` present in `body` as a non-empty string (400 otherwise)."""
    for name in names:
        if name in body and body[name] is not None:
            value = body[name]
            if not isinstance(value, str) or not value.strip():
                raise ApiError(400, f"`{name}` must be a non-empty string.")
            return value
    if optional:
        return None
    raise ApiError(400, f"`{names[0]}` is required.")


def user_of(request: Request, *, attribution: bool = True) -> User:
    """The authenticated user (1001 otherwise, and with attribution_required=everywhere also
    when an attribution header is missing; the export judges those itself: attribution=False)."""
    world = world_of(request)
    user = world.authenticate(request.headers.get("authorization"))
    if attribution and attribution_everywhere(world.settings):
        require_attribution(world.settings, missing(request.headers.get))
    return user


def session_of(request: Request, user: User, session_id: str) -> Session:
    """`user`'s session (1002 otherwise)."""
    return world_of(request).session_for(user, session_id)


def missing_attribution(request: Request) -> list[str]:
    """The attribution headers this request lacks (names as the seeds spell them)."""
    names = contracts.facts()["attribution_headers"]
    return [n for n, key in zip(names, ATTRIBUTION, strict=True) if not request.headers.get(key)]


def base_url(request: Request) -> str:
    """Scheme, host and port the client used (for URLs in answers)."""
    return base_url_of(request.scope, request.headers.get("host"))


def client_ip(request: Request) -> str:
    """The peer address."""
    return request.client.host if request.client else "unknown"


def ok(data: Any) -> Envelope:
    """A success envelope."""
    return Envelope(data)
