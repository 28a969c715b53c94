"""Tokens (DESIGN §3.2): anonymous token, limits, expiry, claim token and page."""

from __future__ import annotations

import re

from nemo_mock import contracts
from tests.conftest import ATTRIBUTION, Api

TOKEN = "/api/auth/anonymous-token"
CREDITS = "/api/credits/balance/simple"


def _status(api: Api, code: int) -> int:
    return contracts.errors()[code].http_status(api.settings.error_status)


def test_anonymous_token_answers_token_credits_and_expiry(api: Api) -> None:
    """'The response includes a token with 100 free credits valid for 7 days.'"""
    r = api.http.post(TOKEN, headers={"X-Client-Id": "c1"})
    body = r.json()
    assert r.status_code == 200 and body["code"] == 0 and body["message"]
    assert re.fullmatch(r"nmv_usr_[0-9a-f]{32}", body["data"]["token"])
    assert body["data"]["credits"] == 100
    assert body["data"]["expires_in"] == 604800


def test_missing_client_id_answers_400(api: Api) -> None:
    """'400 — Missing X-Client-Id: generate Client-Id and retry.'"""
    r = api.http.post(TOKEN)
    assert (r.status_code, r.json()["code"]) == (400, 400)


def test_blank_client_id_answers_400(api: Api) -> None:
    """A blank X-Client-Id counts as missing."""
    r = api.http.post(TOKEN, headers={"X-Client-Id": "   "})
    assert r.json()["code"] == 400


def test_second_token_for_same_client_id_is_rate_limited(api: Api) -> None:
    """'429 — Rate limit (1 token/client/7 days).'"""
    api.token("same")
    r = api.http.post(TOKEN, headers={"X-Client-Id": "same"})
    assert (r.status_code, r.json()["code"]) == (429, 429)


def test_eleventh_token_from_one_ip_is_rate_limited(api: Api) -> None:
    """v1.9: at most 10 tokens per IP per 7 days."""
    for i in range(10):
        api.token(f"ip-client-{i}")
    r = api.http.post(TOKEN, headers={"X-Client-Id": "ip-client-10"})
    assert r.json()["code"] == 429


def test_ip_window_slides_after_seven_days(api: Api) -> None:
    """The per-IP window is 7 days on the virtual clock."""
    for i in range(10):
        api.token(f"w-{i}")
    api.advance(604800 + 1)
    r = api.http.post(TOKEN, headers={"X-Client-Id": "w-new"})
    assert r.json()["code"] == 0


def test_token_works_on_authenticated_endpoints(api: Api) -> None:
    """'All requests must include: Authorization: Bearer <NEMO_TOKEN>.'"""
    token = api.token()
    r = api.http.get(CREDITS, headers=api.headers(token))
    assert r.json()["code"] == 0


def test_missing_bearer_answers_1001(api: Api) -> None:
    """'1001 — Bad/expired token.'"""
    r = api.http.get(CREDITS, headers=ATTRIBUTION)
    assert (r.status_code, r.json()["code"]) == (_status(api, 1001), 1001)


def test_unknown_token_answers_1001(api: Api) -> None:
    """A token the server never issued is a bad token."""
    r = api.http.get(CREDITS, headers=api.headers("nmv_usr_" + "0" * 32))
    assert (r.status_code, r.json()["code"]) == (_status(api, 1001), 1001)


def test_token_expires_after_seven_virtual_days(api: Api) -> None:
    """'Re-auth via anonymous-token (tokens expire after 7 days).'"""
    token = api.token()
    api.advance(604800 - 1)
    assert api.http.get(CREDITS, headers=api.headers(token)).json()["code"] == 0
    api.advance(2)
    r = api.http.get(CREDITS, headers=api.headers(token))
    assert (r.status_code, r.json()["code"]) == (_status(api, 1001), 1001)


def test_same_client_id_may_mint_again_after_expiry(api: Api) -> None:
    """v1.9: after expiry the same client id may mint a new token."""
    api.token("again")
    api.advance(604800 + 1)
    r = api.http.post(TOKEN, headers={"X-Client-Id": "again"})
    assert r.json()["code"] == 0


def test_reminted_token_keeps_the_users_sessions(api: Api) -> None:
    """ASSUMPTION: a client id is one anonymous user, so its sessions survive re-authentication."""
    first = api.token("keeper")
    sid = api.session(first)["session_id"]
    api.world.tokens[first].expires_at = api.world.now()  # expire now
    second = api.http.post(TOKEN, headers={"X-Client-Id": "keeper"}).json()["data"]["token"]
    r = api.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=api.headers(second))
    assert r.json()["code"] == 0


def test_same_seed_with_deterministic_secrets_reproduces_the_same_tokens(make_api) -> None:  # type: ignore[no-untyped-def]
    """--deterministic-secrets: a rerun with the same seed and requests gives the same tokens."""
    a, b = (
        make_api(seed=99, deterministic_secrets=True),
        make_api(seed=99, deterministic_secrets=True),
    )
    assert [a.token("x"), a.token("y")] == [b.token("x"), b.token("y")]
    other = make_api(seed=100, deterministic_secrets=True)
    assert other.token("x") != make_api(seed=99, deterministic_secrets=True).token("x")


def test_claim_token_answers_clm_and_a_page_url_without_the_token(api: Api) -> None:
    """v1.9: claim-token gives clm_...; a token must never appear in a URL."""
    token = api.token()
    s = api.session(token)
    r = api.http.post("/api/auth/claim-token", headers=api.headers(token), json=s)
    data = r.json()["data"]
    assert data["claim_token"].startswith("clm_") and data["expires_in"] > 0
    assert token not in data["url"] and data["claim_token"] in data["url"]


def test_claim_page_shows_the_session_timeline(api: Api) -> None:
    """The emulator plays NEMO_WEB_URL: /workspace/claim?ct= shows that session's timeline."""
    token = api.token()
    s = api.session(token)
    api.add_clip(s["session_id"])
    ct = api.http.post("/api/auth/claim-token", headers=api.headers(token), json=s).json()["data"]
    page = api.http.get("/workspace/claim", params={"ct": ct["claim_token"]})
    assert page.status_code == 200 and "Timeline (1 track): 1. Video: clip (0-10s)" in page.text


def test_claim_page_refuses_an_unknown_claim(api: Api) -> None:
    """An unknown claim token shows a 404 page, never another session."""
    assert api.http.get("/workspace/claim", params={"ct": "clm_nope"}).status_code == 404


def test_claim_for_another_users_session_answers_1002(api: Api) -> None:
    """Sessions belong to the token's user: anyone else gets 1002."""
    s = api.session(api.token())
    r = api.http.post("/api/auth/claim-token", headers=api.headers(api.token()), json=s)
    assert r.json()["code"] == 1002
