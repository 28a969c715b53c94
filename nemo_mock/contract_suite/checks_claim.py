"""Claim tokens and the page they open (v1.9 §3.0)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from nemo_mock import contracts

from . import citations as C
from .registry import MUST, check, expect
from .target import Target

PREFIX = contracts.facts()["claim_token"]["prefix"]


def _claim(t: Target, name: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    token = t.token()
    sess = t.session(token, name)
    r = t.request(
        "POST",
        "/api/auth/claim-token",
        headers=t.headers(token),
        json={"task_id": sess["task_id"], "session_id": sess["session_id"]},
    )
    return token, sess, t.ok(r, "claim token")


@check("claim.token", MUST, cites=(C.CLAIM_TOKEN, C.NEVER_IN_URL))
def claim_token(t: Target) -> None:
    """A claim token is `clm_…` with a positive expires_in, and is not the bearer token."""
    token, _, data = _claim(t, "claimed project")
    ct = data.get("claim_token")
    expect(isinstance(ct, str) and ct.startswith(PREFIX), f"claim_token must be {PREFIX}…: {data}")
    expires = data.get("expires_in")
    expect(
        isinstance(expires, (int, float)) and not isinstance(expires, bool) and expires > 0,
        f"expires_in must be a positive number of seconds (any lifetime): {expires!r}",
    )
    expect(token not in str(data), "the answer must not repeat the bearer token")


@check("claim.no_api_access", MUST, cites=(C.CLAIM_NO_API, C.BAD_TOKEN))
def claim_no_api_access(t: Target) -> None:
    """A claim token used as a bearer token is refused with 1001."""
    _, _, data = _claim(t, "claimed project")
    r = t.request(
        "GET", "/api/credits/balance/simple", headers=t.headers(str(data.get("claim_token")))
    )
    t.expect_error(r, 1001, "balance with the claim token as bearer")


@check("claim.page", MUST, cites=(C.CLAIM_URL, C.CLAIM_NO_API), needs=("claim_page",))
def claim_page(t: Target) -> None:
    """`/workspace/claim?ct=<claim_token>` opens an HTML page showing that session, no token."""
    token, sess, data = _claim(t, "claimed project")
    path = f"/workspace/claim?ct={data['claim_token']}"
    if isinstance(data.get("url"), str) and data["url"]:
        expect(token not in data["url"], f"the bearer token must never be in a URL: {data}")
        url = urlsplit(data["url"])
        path = f"{url.path}?{url.query}" if url.query else path
    page = t.request("GET", path)
    expect(
        page.status_code == 200 and "text/html" in page.headers.get("content-type", ""),
        f"claim page: expected 200 text/html, got {page.status_code} "
        f"{page.headers.get('content-type')}",
    )
    expect(token not in page.text, "the claim page must not show the bearer token")
    shown = [v for v in (sess["session_id"], sess["task_id"], "claimed project") if v in page.text]
    expect(
        shown,
        "the claim page must show the claimed session (its id, task id or name): "
        f"{page.text[:200]!r}",
    )
