"""Tokens, credits, sessions and uploads: the happy paths and the token limits.

See DESIGN §3.2, §3.3.
"""

from __future__ import annotations

import uuid

from nemo_mock import contracts

from .registry import MUST, SHOULD, check, expect
from .target import Target

FACTS = contracts.facts()


@check("token.flow", MUST)
def token_flow(t: Target) -> None:
    """An anonymous token has the documented shape and authorises balance, session and state."""
    minted = t.mint()
    data = minted.data
    prefix = FACTS["token"]["prefix"]
    expect(
        minted.token.startswith(prefix), f"token must start with {prefix!r}: {minted.token[:12]}..."
    )
    expect(
        data.get("credits") == FACTS["token"]["starter_credits"],
        f"credits must be 100, got {data.get('credits')!r}",
    )
    ttl = FACTS["token"]["ttl_seconds"]
    expect(
        isinstance(data.get("expires_in"), int) and ttl - 60 <= data["expires_in"] <= ttl,
        f"expires_in must be ~{ttl} (7 days), got {data.get('expires_in')!r}",
    )
    bal = t.balance(minted.token)
    expect(
        all(isinstance(bal.get(k), int) and bal[k] >= 0 for k in ("available", "frozen", "total")),
        f"balance fields must be non-negative integers: {bal!r}",
    )
    expect(
        bal["available"] + bal["frozen"] == bal["total"], f"available + frozen != total: {bal!r}"
    )
    expect(
        bal["available"] == data["credits"],
        f"balance {bal['available']} != minted credits {data['credits']}",
    )
    sess = t.session(minted.token)
    expect(isinstance(sess.get("task_id"), str) and sess["task_id"], f"no task_id in {sess!r}")
    st = t.state(minted.token, sess["session_id"])
    expect(
        st.get("session_id") == sess["session_id"],
        f"state is for another session: {st.get('session_id')!r}",
    )
    state = st.get("state") or {}
    for key in ("draft", "video_infos", "generated_media", "canvas_config"):
        expect(key in state, f"state lacks {key!r}: keys {sorted(state)}")
    expect(isinstance(st.get("version"), int), f"version must be an integer: {st.get('version')!r}")
    draft = state["draft"]
    expect(
        isinstance(draft, dict) and isinstance(draft.get("t"), list),
        f"draft must have a track list t: {draft!r}",
    )
    expect(not contracts.has_content(draft), "a new session's draft must be empty")


@check("token.missing_client_id", MUST)
def missing_client_id(t: Target) -> None:
    """Missing or blank X-Client-Id answers 400 (seeds)."""
    r = t.request("POST", "/api/auth/anonymous-token", headers=t.headers())
    t.expect_error(r, 400, "anonymous token without X-Client-Id")
    r = t.request("POST", "/api/auth/anonymous-token", headers=t.headers(**{"X-Client-Id": ""}))
    t.expect_error(r, 400, "anonymous token with a blank X-Client-Id")


@check("token.per_client_limit", MUST)
def per_client_limit(t: Target) -> None:
    """A second token for the same client id within 7 days answers 429 (seeds)."""
    minted = t.mint()
    r = t.request(
        "POST", "/api/auth/anonymous-token", headers=t.headers(**{"X-Client-Id": minted.client_id})
    )
    t.expect_error(r, 429, "second token for the same client id")


@check("token.per_ip_limit", MUST, needs=("control_plane",))
def per_ip_limit(t: Target) -> None:
    """The 11th token from one IP within 7 days answers 429 (v1.9: 10 per IP)."""
    limit = FACTS["token"]["per_ip"]
    for _ in range(limit):
        t.mint()
    r = t.request(
        "POST",
        "/api/auth/anonymous-token",
        headers=t.headers(**{"X-Client-Id": f"contract-{uuid.uuid4()}"}),
    )
    t.expect_error(r, 429, f"token #{limit + 1} from one IP")


@check("token.expiry", MUST, needs=("virtual_clock",))
def token_expiry(t: Target) -> None:
    """A token is refused (1001) after 7 days; the same client id may then mint again (v1.9)."""
    minted = t.mint()
    t.balance(minted.token)
    t.advance(FACTS["token"]["ttl_seconds"] + 60)
    r = t.request("GET", "/api/credits/balance/simple", headers=t.headers(minted.token))
    t.expect_error(r, 1001, "a token 7 days and a minute old")
    again = t.mint(minted.client_id)
    expect(again.token != minted.token, "re-minting after expiry must give a new token")
    t.balance(again.token)


@check("token.bad_token", MUST)
def bad_token(t: Target) -> None:
    """A missing, unknown or malformed bearer token answers 1001 (seeds)."""
    r = t.request("GET", "/api/credits/balance/simple", headers=t.headers())
    t.expect_error(r, 1001, "balance without Authorization")
    r = t.request(
        "GET", "/api/credits/balance/simple", headers=t.headers("nmv_usr_not_a_real_token_0000")
    )
    t.expect_error(r, 1001, "balance with an unknown token")
    r = t.request(
        "POST",
        "/api/tasks/me/with-session/nemo_agent",
        headers=t.headers(**{"Authorization": "Basic Zm9vOmJhcg=="}),
        json={"task_name": "x"},
    )
    t.expect_error(r, 1001, "create session with a non-bearer Authorization")


@check("session.language_optional", MUST)
def language_optional(t: Target) -> None:
    """createSession accepts a body without `language` (seed 003 omits it) and with one."""
    token = t.token()
    r = t.request(
        "POST",
        "/api/tasks/me/with-session/nemo_agent",
        headers=t.headers(token),
        json={"task_name": "no language"},
    )
    t.ok(r, "session without language")
    r = t.request(
        "POST",
        "/api/tasks/me/with-session/nemo_agent",
        headers=t.headers(token),
        json={"task_name": "zh", "language": "zh"},
    )
    t.ok(r, "session with language zh")


@check("upload.files_and_urls", MUST)
def upload_files_and_urls(t: Target) -> None:
    """Multipart `files` (case-insensitive extension) and JSON URLs land in state.video_infos."""
    token = t.token()
    sid = t.session(token)["session_id"]
    before = t.state(token, sid)
    r = t.request(
        "POST",
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=t.headers(token),
        files=[("files", ("Clip.MP4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000, "video/mp4"))],
    )
    files = t.ok(r, "multipart upload").get("files")
    expect(
        isinstance(files, list) and len(files) == 1, f"expected one file in the answer: {files!r}"
    )
    f = files[0]
    for key in ("file_id", "filename", "url", "type", "size"):
        expect(key in f, f"uploaded file lacks {key!r}: {f!r}")
    expect(f["type"] == "video", f"an .MP4 is a video, got {f['type']!r}")
    expect(f["size"] == 1012, f"size must be the bytes received (1012), got {f['size']!r}")
    expect(token not in str(f["url"]), "a token must never appear in a URL")
    r = t.request(
        "POST",
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=t.headers(token),
        json={"urls": ["https://example.com/media/song.mp3"], "source_type": "url"},
    )
    url_files = t.ok(r, "URL upload").get("files") or []
    expect(
        len(url_files) == 1 and url_files[0].get("type") == "audio",
        f"an .mp3 URL is audio: {url_files!r}",
    )
    after = t.state(token, sid)
    ids = {v.get("file_id") for v in after["state"]["video_infos"] if isinstance(v, dict)}
    expect(
        {f["file_id"], url_files[0]["file_id"]} <= ids,
        f"uploads missing from state.video_infos: {ids}",
    )
    expect(
        after["version"] > before["version"],
        f"version must grow: {before['version']} -> {after['version']}",
    )


@check("claim.flow", SHOULD)
def claim_flow(t: Target) -> None:
    """A claim token (clm_) opens a page with the session's timeline;
    no bearer token in its URL (v1.9).
    """
    token = t.token()
    sess = t.session(token, "claimed project")
    r = t.request(
        "POST",
        "/api/auth/claim-token",
        headers=t.headers(token),
        json={"task_id": sess["task_id"], "session_id": sess["session_id"]},
    )
    data = t.ok(r, "claim token")
    prefix = FACTS["claim_token"]["prefix"]
    expect(
        str(data.get("claim_token", "")).startswith(prefix),
        f"claim token must start with {prefix!r}: {data!r}",
    )
    url = data.get("url") or f"/workspace/claim?ct={data['claim_token']}"
    expect(token not in url, "the bearer token must never appear in a URL")
    page = t.request(
        "GET",
        url.replace(t.base_url, "") if url.startswith(t.base_url) else url,
        headers=t.headers(),
    )
    expect(
        page.status_code == 200 and "text/html" in page.headers.get("content-type", ""),
        f"claim page: expected 200 text/html, got {page.status_code} "
        f"{page.headers.get('content-type')}",
    )
    expect(token not in page.text, "the claim page must not show the bearer token")
