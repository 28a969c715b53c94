"""Proxy headers, redirects, the admin token and claim tokens in logs (the 'low' row)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from nemo_mock.server.cli import build_parser, settings_from_args
from nemo_mock.server.serving import LiveServer, uvicorn_config
from tests.conftest import Api, make_settings

TOKEN = "/api/auth/anonymous-token"


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def test_proxy_headers_are_not_trusted_by_default() -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise: we tell it."""
    config = uvicorn_config(None, make_settings())
    assert config.proxy_headers is False


def test_proxy_headers_are_trusted_when_asked() -> None:
    """--forwarded-allow-ips turns them on for the named proxies."""
    config = uvicorn_config(None, make_settings(forwarded_allow_ips="10.0.0.1"))
    assert config.proxy_headers is True and config.forwarded_allow_ips == "10.0.0.1"


@pytest.mark.live
def test_x_forwarded_for_cannot_bypass_the_per_ip_mint_limit(
    live_server: Callable[..., LiveServer],
) -> None:
    """'10 tokens per IP per 7 days' holds whatever X-Forwarded-For a loopback client sends."""
    live = live_server()
    codes = []
    with httpx.Client(base_url=live.url, timeout=10) as c:
        for i in range(11):
            headers = {"X-Client-Id": f"c{i}", "X-Forwarded-For": f"10.0.0.{i}"}
            codes.append(c.post(TOKEN, headers=headers).json()["code"])
    assert codes == [0] * 10 + [429]


def test_trailing_slash_does_not_redirect_to_the_host_header(
    make_api: Callable[..., Api],
) -> None:
    """'a trailing slash redirects to whatever Host says': now an unknown path answers 404."""
    api = make_api()
    r = api.http.get(
        "/api/credits/balance/simple/", headers={"Host": "evil.example"}, follow_redirects=False
    )
    assert r.status_code == 404 and "location" not in r.headers


def test_admin_token_can_come_from_a_file(tmp_path: Path) -> None:
    """'--admin-token visible in ps (offer an env var or file)': --admin-token-file."""
    path = tmp_path / "admin"
    path.write_text("s3cret\n", encoding="utf-8")
    assert settings_from_args(_args("--admin-token-file", str(path))).admin_token == "s3cret"


def test_admin_token_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """NEMO_MOCK_ADMIN_TOKEN sets it without a flag."""
    monkeypatch.setenv("NEMO_MOCK_ADMIN_TOKEN", "from-env")
    assert settings_from_args(_args()).admin_token == "from-env"


def _claim(api: Api) -> str:
    token = api.token()
    s = api.session(token)
    r = api.http.post("/api/auth/claim-token", headers=api.headers(token), json=s)
    ct: str = r.json()["data"]["claim_token"]
    api.http.get("/workspace/claim", params={"ct": ct})
    return ct


def test_claim_tokens_are_fingerprinted_in_journal_and_har(make_api: Callable[..., Api]) -> None:
    """'claim tokens in clear in the journal, HAR' no more: a fingerprint instead."""
    api = make_api()
    ct = _claim(api)
    for path in ("/_mock/journal", "/_mock/journal.ndjson", "/_mock/journal.har"):
        text = api.http.get(path).text
        assert ct not in text and "ct=tok_" in text


def test_claim_tokens_are_fingerprinted_in_the_access_log() -> None:
    """'... and access log': the uvicorn.access filter rewrites ?ct= to a fingerprint."""
    uvicorn_config(None, make_settings())
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/workspace/claim?ct=clm_abc", "1.1", 200), None,
    )  # fmt: skip
    for f in logging.getLogger("uvicorn.access").filters:
        assert not isinstance(f, logging.Filter) or f.filter(record)
    assert "clm_abc" not in record.getMessage() and "ct=tok_" in record.getMessage()
