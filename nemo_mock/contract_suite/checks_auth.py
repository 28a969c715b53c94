"""Anonymous tokens: their shape, their limits, their expiry (DESIGN §3.2)."""

from __future__ import annotations

import uuid

from nemo_mock import contracts

from . import citations as C
from .registry import MUST, check, expect
from .target import Target

FACTS = contracts.facts()
TOKEN_URL = "/api/auth/anonymous-token"


@check("token.flow", MUST, cites=(C.TOKEN_SHAPE, C.TOKEN_CREDITS, C.CREDITS))
def token_flow(t: Target) -> None:
    """An anonymous token is `nmv_usr_…` with 100 credits and authorises the balance call."""
    minted = t.mint()
    data = minted.data
    prefix = FACTS["token"]["prefix"]
    expect(
        minted.token.startswith(prefix), f"token must start with {prefix!r}: {minted.token[:12]}..."
    )
    credits = FACTS["token"]["starter_credits"]
    expect(data.get("credits") == credits, f"credits must be {credits}: {data.get('credits')!r}")
    ttl = FACTS["token"]["ttl_seconds"]
    if "expires_in" in data:  # not in the documented answer; when given it must say 7 days
        expect(
            isinstance(data["expires_in"], int) and ttl - 3600 <= data["expires_in"] <= ttl,
            f"expires_in, when given, must be about {ttl} s (7 days): {data['expires_in']!r}",
        )
    bal = t.balance(minted.token)
    for key in ("available", "frozen", "total"):
        value = bal.get(key)
        expect(
            isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0,
            f"balance.{key} must be a non-negative number: {bal!r}",
        )
    expect(
        bal["available"] == credits,
        f"a new token's balance must show its {credits} credits available: {bal!r}",
    )


@check("token.missing_client_id", MUST, cites=(C.MISSING_CLIENT_ID,))
def missing_client_id(t: Target) -> None:
    """A missing X-Client-Id answers 400; so does a blank one (a blank id identifies nobody)."""
    r = t.request("POST", TOKEN_URL, headers=t.headers())
    t.expect_error(r, 400, "anonymous token without X-Client-Id")
    r = t.request("POST", TOKEN_URL, headers=t.headers(**{"X-Client-Id": ""}))
    t.expect_error(r, 400, "anonymous token with a blank X-Client-Id")


@check("token.per_client_limit", MUST, cites=(C.TOKEN_PER_CLIENT, C.RATE_LIMIT))
def per_client_limit(t: Target) -> None:
    """A second token for the same client id within 7 days answers 429."""
    minted = t.mint()
    r = t.request("POST", TOKEN_URL, headers=t.headers(**{"X-Client-Id": minted.client_id}))
    t.expect_error(r, 429, "second token for the same client id")


@check("token.per_ip_limit", MUST, cites=(C.TOKEN_PER_IP, C.RATE_LIMIT), needs=("control_plane",))
def per_ip_limit(t: Target) -> None:
    """Past the per-IP budget (10 per 7 days by default) a new client id gets 429."""
    configured = t.config().get("tokens_per_ip")
    limit = configured if isinstance(configured, int) else FACTS["token"]["per_ip"]
    for n in range(limit):
        with t.fixture(f"token {n + 1} of the {limit} the IP may mint"):
            t.mint()
    r = t.request(
        "POST", TOKEN_URL, headers=t.headers(**{"X-Client-Id": f"contract-{uuid.uuid4()}"})
    )
    t.expect_error(r, 429, f"token #{limit + 1} from one IP")


@check("token.expiry", MUST, cites=(C.BAD_TOKEN, C.TOKEN_REMINT), needs=("virtual_clock",))
def token_expiry(t: Target) -> None:
    """A token is refused (1001) after 7 days; the same client id may then mint again."""
    with t.fixture("an anonymous token"):
        minted = t.mint()
        t.balance(minted.token)
    t.advance(FACTS["token"]["ttl_seconds"] + 60)
    r = t.request("GET", "/api/credits/balance/simple", headers=t.headers(minted.token))
    t.expect_error(r, 1001, "a token 7 days and a minute old")
    again = t.mint(minted.client_id)
    expect(again.token != minted.token, "re-minting after expiry must give a new token")
    t.balance(again.token)


@check("token.bad_token", MUST, cites=(C.BAD_TOKEN,))
def bad_token(t: Target) -> None:
    """A missing, unknown or non-bearer token answers 1001 (no token is needed to be refused)."""
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
