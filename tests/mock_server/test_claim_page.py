"""The claim page (/workspace/claim?ct=…) draws the session's timeline from inline script."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from tests.conftest import Api


def _page(api: Api, name: str) -> str:
    token = api.token()
    s = api.session(token)
    session = api.world.sessions[s["session_id"]]
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 4000, "m": {"name": name}}]}], "d": 4000}
    api.world.change(session, draft=draft)
    ct = api.http.post("/api/auth/claim-token", headers=api.headers(token), json=s).json()["data"]
    r = api.http.get("/workspace/claim", params={"ct": ct["claim_token"]})
    assert r.status_code == 200
    return r.text


def test_claim_page_carries_the_draft_and_the_timeline_script(make_api: Callable[..., Api]):
    """DESIGN §3.2: the page shows that session's timeline (drawn by the dashboard's script)."""
    text = _page(make_api(), "city timelapse")
    assert "NemoTimeline.svg(" in text and "root.NemoTimeline" in text
    data = re.search(r"NemoTimeline\.svg\((\{.*?\}), \{width", text)
    assert data is not None
    assert json.loads(data.group(1))["t"][0]["sg"][0]["m"]["name"] == "city timelapse"


def test_claim_page_data_cannot_close_its_script(make_api: Callable[..., Api]):
    """A segment name is data: `</script>` in it cannot end the page's script block."""
    text = _page(make_api(), "</script><img src=x onerror=alert(1)>")
    assert "</script><img" not in text
    assert "\\u003c/script>\\u003cimg" in text


def test_claim_page_fetches_nothing_from_elsewhere(make_api: Callable[..., Api]):
    """Issue 17: no external URL referenced (script and style are inline)."""
    text = _page(make_api(), "clip")
    assert not re.search(r"(?i)https?:|//[a-z0-9]|@import|url\(|src=", text)
