"""Sessions, their state, credits and uploads (DESIGN §3.3)."""

from __future__ import annotations

from typing import Any

from nemo_mock import contracts

from . import citations as C
from .registry import MUST, SHOULD, CheckFailed, check, expect
from .target import Target

MP4_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000
STATE_KEYS = ("draft", "video_infos", "generated_media")


@check("session.language_optional", MUST, cites=(C.SESSION_NO_LANGUAGE, C.SESSION_WITH_LANGUAGE))
def language_optional(t: Target) -> None:
    """createSession answers task_id and session_id with a `language` and without one."""
    token = t.token()
    for body in ({"task_name": "project"}, {"task_name": "project", "language": "zh"}):
        r = t.request(
            "POST", "/api/tasks/me/with-session/nemo_agent", headers=t.headers(token), json=body
        )
        data = t.ok(r, f"create session with {body}")
        for key in ("task_id", "session_id"):
            expect(isinstance(data.get(key), str) and data[key], f"{body}: no {key} in {data!r}")


@check("state.shape", MUST, cites=(C.STATE, C.DRAFT_READY))
def state_shape(t: Target) -> None:
    """A new session's state has draft, video_infos and generated_media, and nothing to export."""
    token = t.token()
    sid = t.session(token)["session_id"]
    st = t.state(token, sid)
    state = st.get("state")
    if not isinstance(state, dict):
        raise CheckFailed(f"data.state must be an object: {st!r}")
    for key in STATE_KEYS:
        expect(key in state, f"data.state lacks {key!r}: keys {sorted(state)}")
    draft = state["draft"]
    expect(
        draft is None or (isinstance(draft, dict) and not contracts.has_content(draft)),
        f"a new session's draft has no track with segments: {draft!r}",
    )


@check(
    "credits.balance_invariant",
    SHOULD,
    cites=(C.CREDITS, C.assumption("available + frozen == total, none negative (DESIGN §3.3)")),
)
def balance_invariant(t: Target) -> None:
    """The balance's available + frozen equals total."""
    bal = t.balance(t.token())
    expect(
        bal.get("available", 0) + bal.get("frozen", 0) == bal.get("total"),
        f"available + frozen != total: {bal!r}",
    )


def _upload(t: Target, token: str, sid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    r = t.request(
        "POST",
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=t.headers(token),
        files=[("files", ("Clip.MP4", MP4_BYTES, "video/mp4"))],
    )
    multipart = t.ok(r, "multipart upload of Clip.MP4 (field `files`)")
    r = t.request(
        "POST",
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=t.headers(token),
        json={"urls": ["https://example.com/media/song.mp3"], "source_type": "url"},
    )
    return multipart, t.ok(r, "URL upload of song.mp3")


@check("upload.accepted", MUST, cites=(C.UPLOAD, C.FORMATS))
def upload_accepted(t: Target) -> None:
    """A multipart `files` upload (upper-case .MP4) and a JSON URL upload both succeed."""
    token = t.token()
    _upload(t, token, t.session(token)["session_id"])


@check(
    "upload.in_state",
    SHOULD,
    cites=(
        C.STATE,
        C.assumption(
            "the upload answers data.files[{file_id, filename, type, size, url?}], each upload "
            "appears in state.video_infos and state.version grows (DESIGN §3.3)"
        ),
    ),
)
def upload_in_state(t: Target) -> None:
    """Each upload is described in the answer and lands in state.video_infos; version grows."""
    token = t.token()
    sid = t.session(token)["session_id"]
    before = t.state(token, sid)
    multipart, by_url = _upload(t, token, sid)
    files = [*(multipart.get("files") or []), *(by_url.get("files") or [])]
    expect(len(files) == 2, f"expected one file per upload in data.files: {files!r}")
    for f in files:  # `url` is optional: no source documents it for a file upload
        for key in ("file_id", "filename", "type", "size"):
            expect(key in f, f"uploaded file lacks {key!r}: {f!r}")
        expect(token not in str(f.get("url", "")), "a token must never appear in a URL")
    expect(files[0]["size"] == len(MP4_BYTES), f"size must be the bytes received: {files[0]!r}")
    after = t.state(token, sid)
    infos = after.get("state", {}).get("video_infos") or []
    ids = {v.get("file_id") for v in infos if isinstance(v, dict)}
    expect({f["file_id"] for f in files} <= ids, f"uploads missing from video_infos: {ids}")
    if isinstance(before.get("version"), int):
        expect(
            after.get("version", 0) > before["version"],
            f"version must grow: {before['version']} -> {after.get('version')}",
        )
