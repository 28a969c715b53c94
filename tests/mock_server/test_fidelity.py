"""Emulator facts fixed against the sources: claim token lifetime, credits of a re-minted token,
what an upload answers (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

CREDITS = "/api/credits/balance/simple"
CLAIM = "/api/auth/claim-token"


def claim(api: Api, token: str) -> dict[str, Any]:
    session = api.session(token)
    r = api.http.post(CLAIM, headers=api.headers(token), json=session)
    data: dict[str, Any] = r.json()["data"]
    return data


def test_claim_token_lives_seven_days(api: Api) -> None:
    """v1.9 §3.0: `{"claim_token":"clm_xxx","expires_in":604800}`."""
    assert claim(api, api.token())["expires_in"] == 604800


def test_claim_link_still_opens_after_six_days(api: Api) -> None:
    """CHANGELOG 1.9: the claim token lives 7 days and can be used again."""
    data = claim(api, api.token())
    api.advance(6 * 86400)
    for _ in range(2):
        assert api.http.get(data["url"]).status_code == 200


def test_claim_link_expires_after_seven_days(api: Api) -> None:
    """After its 7 days the claim link is refused."""
    data = claim(api, api.token())
    api.advance(604800 + 1)
    assert api.http.get(data["url"]).status_code == 404


def _spend_everything(api: Api, token: str) -> None:
    user = api.world.authenticate(f"Bearer {token}")
    api.world.freeze(user, user.available)
    api.world.consume(user, user.total)


def test_a_token_minted_again_after_expiry_comes_with_the_free_credits(api: Api) -> None:
    """v1.9 §1: an anonymous token comes with '100 free credits'; a new one after expiry too."""
    first = api.token("same-client")
    _spend_everything(api, first)
    api.advance(604800 + 1)
    second = api.token("same-client")
    r = api.http.get(CREDITS, headers=api.headers(second))
    assert r.json()["data"] == {"available": 100, "frozen": 0, "total": 100}


def test_a_token_minted_again_never_lowers_a_bigger_balance(api: Api) -> None:
    """ASSUMPTION: the free credits top up to 100; a user with more keeps them."""
    first = api.token("rich")
    api.world.authenticate(f"Bearer {first}").total = 250
    api.advance(604800 + 1)
    second = api.token("rich")
    assert api.http.get(CREDITS, headers=api.headers(second)).json()["data"]["total"] == 250


def upload(api: Api, filename: str) -> dict[str, Any]:
    token = api.token()
    sid = api.session(token)["session_id"]
    r = api.http.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=api.headers(token),
        files={"files": (filename, b"\0" * 16, "video/mp4")},
    )
    assert r.json()["code"] == 0, r.text
    (item,) = r.json()["data"]["files"]
    return dict(item)


@pytest.mark.parametrize(
    "sent", ["../../etc/clip.mp4", "C:\\Users\\me\\clip.mp4", "/tmp/x/clip.mp4", "clip.mp4"]
)
def test_an_uploaded_file_name_loses_its_directories(api: Api, sent: str) -> None:
    """File names are never echoed with path components."""
    assert upload(api, sent)["filename"] == "clip.mp4"


def test_a_file_upload_promises_no_url(api: Api) -> None:
    """Bytes are counted, not kept: no `url` that nothing would serve."""
    assert "url" not in upload(api, "clip.mp4")


def test_a_url_upload_keeps_the_url_it_was_given(api: Api) -> None:
    """A URL upload's `url` is the URL the client sent (recorded, never fetched)."""
    token = api.token()
    sid = api.session(token)["session_id"]
    url = "https://example.com/media/a%2F..%2Fclip.mp4"
    r = api.http.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=api.headers(token),
        json={"urls": [url], "source_type": "url"},
    )
    (item,) = r.json()["data"]["files"]
    assert item["url"] == url and item["filename"] == "clip.mp4"
