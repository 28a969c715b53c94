"""Secrets (bearer tokens, claim tokens, media names) cannot be guessed from the seed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from tests.conftest import Api


def _seeded_guess(seed: int, kind: str, n: int, length: int = 32) -> str:
    """The old scheme, written out independently: blake2b-128 of (seed, "id", kind, n)."""
    text = "\x1f".join([str(seed), "id", kind, str(n)])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()[:length]


def _claim_and_media(api: Api) -> tuple[str, str, str]:
    token = api.token("c")
    s = api.session(token)
    api.add_clip(s["session_id"])
    claim = api.http.post("/api/auth/claim-token", headers=api.headers(token), json=s).json()
    draft = api.world.sessions[s["session_id"]].draft
    body = {"id": "render_1", "sessionId": s["session_id"], "draft": draft}
    api.http.post("/api/render/proxy/lambda", headers=api.headers(token), json=body)
    media = next(iter(api.world.renders.values())).media_name
    return token, claim["data"]["claim_token"], media


def test_tokens_are_not_the_seeded_guess(make_api: Callable[..., Api]) -> None:
    """'195 guesses found another user's token': tokens no longer follow from (seed, n)."""
    api = make_api(seed=7)
    token, claim, media = _claim_and_media(api)
    guesses = {_seeded_guess(7, "token", n) for n in range(1, 200)}
    assert token.removeprefix("nmv_usr_") not in guesses
    assert claim.removeprefix("clm_") not in {_seeded_guess(7, "claim", n) for n in range(1, 200)}
    assert media.removesuffix(".mp4") not in {
        _seeded_guess(7, "media", n, 24) for n in range(1, 200)
    }


def test_two_servers_with_one_seed_hand_out_different_tokens(
    make_api: Callable[..., Api],
) -> None:
    """Secrets come from a per-process random key, not from the seed."""
    assert make_api(seed=5).token("x") != make_api(seed=5).token("x")


def test_other_ids_stay_seeded(make_api: Callable[..., Api]) -> None:
    """'every other id stays seeded': session and task ids repeat under the same seed."""
    a, b = make_api(seed=5), make_api(seed=5)
    assert a.session(a.token("x")) == b.session(b.token("x"))


def test_reset_never_hands_out_an_old_token_again(make_api: Callable[..., Api]) -> None:
    """'after /_mock/reset the same token values are handed to new users' no more."""
    api = make_api()
    before = {api.token(f"c{i}") for i in range(5)}
    api.http.post("/_mock/reset")
    after = {api.token(f"c{i}") for i in range(5)}
    assert not before & after


def test_deterministic_secrets_rerun_byte_identically(make_api: Callable[..., Api]) -> None:
    """`--deterministic-secrets` restores byte-identical reruns, the seeded values included."""
    a, b = (
        make_api(seed=3, deterministic_secrets=True),
        make_api(seed=3, deterministic_secrets=True),
    )
    assert _claim_and_media(a) == _claim_and_media(b)
    assert _claim_and_media(make_api(seed=3, deterministic_secrets=True))[0] == (
        "nmv_usr_" + _seeded_guess(3, "token", 1)
    )
