"""The documented error code for each documented bad input (DESIGN §3.1, contracts/errors.yaml)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from nemo_mock import contracts

from . import citations as C
from .registry import MUST, SHOULD, check, expect
from .target import Target

RESOLVED_FROM_TOKEN = C.v19("Use **me** for user in path; backend resolves from token.")

SEED_DRAFT = {
    "t": [
        {"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "city timelapse"}}]},
        {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
    ],
    "d": 10000,
}


def render_body(session_id: str, render_id: str | None = None) -> dict[str, object]:
    return {
        "id": render_id or f"render_{uuid.uuid4().hex[:16]}",
        "sessionId": session_id,
        "draft": SEED_DRAFT,
        "output": {"format": "mp4", "quality": "high"},
    }


@check("error.1002_unknown_session", MUST, cites=(C.SESSION_NOT_FOUND,))
def unknown_session(t: Target) -> None:
    """An unknown session id answers 1002."""
    token = t.token()
    r = t.request(
        "GET", f"/api/state/nemo_agent/me/{uuid.uuid4()}/latest", headers=t.headers(token)
    )
    t.expect_error(r, 1002, "state of an unknown session")


@check("error.1002_foreign_session", MUST, cites=(C.SESSION_NOT_FOUND, RESOLVED_FROM_TOKEN))
def foreign_session(t: Target) -> None:
    """Another user's session answers 1002 for state and upload (a session belongs to its user)."""
    owner, other = t.token("a"), t.token("b")
    sid = t.session(owner)["session_id"]
    t.state(owner, sid)
    r = t.request("GET", f"/api/state/nemo_agent/me/{sid}/latest", headers=t.headers(other))
    t.expect_error(r, 1002, "another user's session state")
    r = t.request(
        "POST",
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=t.headers(other),
        json={"urls": ["https://example.com/a.mp4"], "source_type": "url"},
    )
    t.expect_error(r, 1002, "upload into another user's session")


@check("error.4001_heic", MUST, cites=(C.UNSUPPORTED, C.FORMATS))
def heic_unsupported(t: Target) -> None:
    """A HEIC upload answers 4001 (not in the supported list, though seed 003's tips name it)."""
    token = t.token()
    sid = t.session(token)["session_id"]
    r = t.request(
        "POST",
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=t.headers(token),
        files=[("files", ("photo.HEIC", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "image/heic"))],
    )
    t.expect_error(r, 4001, "upload of photo.HEIC")
    after = t.state(token, sid)
    expect(
        not after["state"]["video_infos"], "a refused upload must not appear in state.video_infos"
    )


def _multipart(limit: int, boundary: str) -> tuple[int, Iterator[bytes]]:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = limit + 1024 * 1024  # one MB over the limit
    chunk = b"\x00" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        yield head
        left = size
        while left > 0:
            yield chunk[: min(left, len(chunk))]
            left -= len(chunk)
        yield tail

    return len(head) + size + len(tail), body()


@check("error.4002_too_large", MUST, cites=(C.TOO_LARGE, C.MAX_200MB))
def too_large(t: Target) -> None:
    """A file 1 MB over the 200 MB of skill `create-a-free-ai-video` answers 4002."""
    source = "create-a-free-ai-video"
    limit = contracts.profile_for(source).max_upload_bytes
    token = t.token()
    sid = t.session(token)["session_id"]
    boundary = uuid.uuid4().hex
    length, body = _multipart(limit, boundary)
    headers = t.headers(
        token,
        **{
            "X-Skill-Source": source,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        },
    )
    r = t.request(
        "POST",
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=headers,
        content=body,
        timeout=60.0,
    )
    t.expect_error(
        r, 4002, f"upload of {length} bytes under profile {source} ({limit // 2**20} MB)"
    )


@check("error.400_malformed_json", SHOULD, cites=(C.MALFORMED_400,))
def malformed_json(t: Target) -> None:
    """A body that is not JSON, or lacks task_name, answers 400."""
    token = t.token()
    headers = t.headers(token, **{"Content-Type": "application/json"})
    r = t.request(
        "POST", "/api/tasks/me/with-session/nemo_agent", headers=headers, content=b"{not json"
    )
    t.expect_error(r, 400, "create session with a body that is not JSON")
    r = t.request(
        "POST",
        "/api/tasks/me/with-session/nemo_agent",
        headers=t.headers(token),
        json={"language": "en"},
    )
    t.expect_error(r, 400, "create session without task_name")


@check("error.402_export_without_attribution", MUST, cites=(C.ATTRIBUTION_402, C.EXPORT_BLOCKED))
def export_without_attribution(t: Target) -> None:
    """An export without the X-Skill-* headers answers 402; with them it is accepted.

    With credits_topup the user's credits are spent first, so the changelog's narrower reading
    (402 for anonymous users whose credits ran out) demands the 402 as well.
    """
    with t.fixture("an anonymous token"):
        minted = t.mint()
    token = minted.token
    sid = t.session(token)["session_id"]
    if t.caps.has("credits_topup") and minted.user_id:
        t.control("POST", f"/_mock/users/{minted.user_id}/credits", {"total": 0})
        t.note("(credits set to 0 first: both readings of the 402 rule apply)")
    r = t.request(
        "POST",
        "/api/render/proxy/lambda",
        headers={"Authorization": f"Bearer {token}"},
        json=render_body(sid),
    )
    t.expect_error(r, 402, "render submit without attribution headers")
    r = t.request(
        "POST", "/api/render/proxy/lambda", headers=t.headers(token), json=render_body(sid)
    )
    t.ok(r, "the same render submit with attribution headers")


@check("error.400_empty_draft_export", SHOULD, cites=(C.DRAFT_READY, C.MALFORMED_400))
def empty_draft_export(t: Target) -> None:
    """Exporting a draft without content answers 400."""
    token = t.token()
    sid = t.session(token)["session_id"]
    body = {**render_body(sid), "draft": {"t": [], "d": 0}}
    r = t.request("POST", "/api/render/proxy/lambda", headers=t.headers(token), json=body)
    t.expect_error(r, 400, "render submit of an empty draft")


@check("error.404_unknown_render", SHOULD, cites=(C.UNKNOWN_RENDER_404,))
def unknown_render(t: Target) -> None:
    """An unknown render id answers 404."""
    token = t.token()
    r = t.request(
        "GET", f"/api/render/proxy/lambda/render_{uuid.uuid4().hex}", headers=t.headers(token)
    )
    t.expect_error(r, 404, "status of an unknown render id")


@check("error.404_foreign_render", SHOULD, cites=(C.UNKNOWN_RENDER_404,))
def foreign_render(t: Target) -> None:
    """Another user's render id answers 404: a render belongs to the user that submitted it."""
    owner, other = t.token("a"), t.token("b")
    sid = t.session(owner)["session_id"]
    job = t.ok(
        t.request(
            "POST", "/api/render/proxy/lambda", headers=t.headers(owner), json=render_body(sid)
        ),
        "render submit",
    )
    t.job(
        t.request("GET", f"/api/render/proxy/lambda/{job['id']}", headers=t.headers(owner)),
        "owner's poll",
    )
    r = t.request("GET", f"/api/render/proxy/lambda/{job['id']}", headers=t.headers(other))
    t.expect_error(r, 404, "another user's render id")


@check("error.unknown_route", SHOULD, cites=(C.ROUTE_404,))
def unknown_route(t: Target) -> None:
    """An unknown path answers 404 in the envelope."""
    r = t.request("GET", f"/api/no-such-endpoint-{uuid.uuid4().hex[:8]}", headers=t.headers())
    t.expect_error(r, 404, "unknown route")


@check("error.status_mode", MUST, cites=(C.DECLARED_ERROR_STATUS,), needs=("error_status",))
def status_mode(t: Target) -> None:
    """App errors 1001, 1002 and 4001 ride on the HTTP status of the declared error_status."""
    token = t.token()
    sid = t.session(token)["session_id"]
    cases = (
        (1001, t.request("GET", "/api/credits/balance/simple", headers=t.headers("nmv_usr_x0"))),
        (
            1002,
            t.request(
                "GET", f"/api/state/nemo_agent/me/{uuid.uuid4()}/latest", headers=t.headers(token)
            ),
        ),
        (
            4001,
            t.request(
                "POST",
                f"/api/upload-video/nemo_agent/me/{sid}",
                headers=t.headers(token),
                files=[("files", ("a.heic", b"\x00" * 64, "image/heic"))],
            ),
        ),
    )
    for code, r in cases:
        body = t.envelope(r)
        expect(body["code"] == code, f"expected code {code}, got {body['code']}")
        want = t.declared_status(code)
        expect(
            r.status_code == want,
            f"code {code} under error_status={t.caps.error_status} must ride on HTTP {want}, "
            f"got HTTP {r.status_code}",
        )
