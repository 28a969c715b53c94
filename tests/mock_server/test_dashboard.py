"""/_mock/ui (the dashboard's files) and /_mock/overview (what it draws), in process."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest

from nemo_mock import contracts
from nemo_mock.server.routes.ui import ASSETS, asset
from tests.conftest import Api


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_dashboard_files_reference_no_external_url(name: str):
    """Issue 17: no CDN, nothing fetched from elsewhere (only /_mock/ paths and data: URLs)."""
    text = asset(name)
    assert not re.search(r"(?i)https?:|//[a-z0-9]|@import|url\(", text)
    for ref in re.findall(r"""(?:src|href)=["']([^"']*)""", text):
        assert ref.startswith(("/_mock/", "data:")), ref


@pytest.mark.parametrize("name", ["", "/app.js", "/timeline.js", "/style.css", "/index.html"])
def test_dashboard_serves_its_files(make_api: Callable[..., Api], name: str):
    """DESIGN §7: /_mock/ui is the dashboard (static files, no build step)."""
    api = make_api()
    r = api.http.get("/_mock/ui" + name)
    assert r.status_code == 200
    assert r.text == asset(name.lstrip("/") or "index.html")


def test_dashboard_unknown_file_is_404(make_api: Callable[..., Api]):
    """Bad input gets a documented error in the envelope, never a file from elsewhere."""
    r = make_api().http.get("/_mock/ui/..%2Fsettings.py")
    assert r.status_code == 404 and r.json()["code"] == 404


def test_dashboard_asks_a_browser_for_the_admin_token(make_api: Callable[..., Api]):
    """Control guard: with an admin token, the page answers 401 with a Basic challenge."""
    r = make_api(admin_token="s3cret").http.get("/_mock/ui")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic ")


def test_basic_credentials_with_the_admin_token_pass_the_guard(make_api: Callable[..., Api]):
    """Control guard: HTTP Basic with the admin token as password is accepted (any user)."""
    api = make_api(admin_token="s3cret")
    good = base64.b64encode(b"anyone:s3cret").decode()
    bad = base64.b64encode(b"anyone:wrong").decode()
    assert api.http.get("/_mock/ui", headers={"Authorization": f"Basic {good}"}).status_code == 200
    ok = api.http.get("/_mock/overview", headers={"Authorization": f"Basic {good}"})
    assert ok.json()["code"] == 0
    assert (
        api.http.get("/_mock/overview", headers={"Authorization": f"Basic {bad}"}).status_code
        == 401
    )


def test_overview_is_refused_to_remote_callers(make_api: Callable[..., Api]):
    """Control guard: only loopback callers unless allow_remote_admin."""
    api = make_api()
    from starlette.testclient import TestClient

    remote = TestClient(api.app, client=("203.0.113.9", 5000))
    assert remote.get("/_mock/overview").status_code == 403
    assert remote.get("/_mock/ui").status_code == 403


def test_overview_shows_sessions_users_and_renders_without_tokens(make_api: Callable[..., Api]):
    """Control OpenAPI Overview: drafts, credits and render status; token values never appear."""
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    api.add_clip(sid)
    draft = api.world.sessions[sid].draft
    api.http.post(
        "/api/render/proxy/lambda",
        headers=api.headers(token),
        json={"id": "render_9", "sessionId": sid, "draft": draft},
    )
    r = api.http.get("/_mock/overview")
    data = r.json()["data"]
    assert token not in r.text
    (session,) = data["sessions"]
    assert session["session_id"] == sid and session["draft"] == draft
    assert session["summary"] == "Timeline (1 track): 1. Video: clip (0-10s)"
    (user,) = data["users"]
    assert user["available"] + user["frozen"] == user["total"]
    (job,) = data["renders"]
    assert (job["id"], job["status"], job["progress"]) == ("render_9", "pending", 0.0)
    assert data["journal"]["last_seq"] == max(e["seq"] for e in api.world.journal)


def test_dashboard_calls_only_documented_endpoints():
    """Issue 17: the dashboard reads only documented control-plane endpoints."""
    paths = contracts.control_openapi()["paths"]
    calls = re.findall(r'call\("([A-Z]+)", "([a-z/.]+)', asset("app.js"))
    assert len(calls) >= 7
    for method, path in calls:
        documented = "/_mock/" + path + ("{rule_id}" if path.endswith("/") else "")
        assert method.lower() in paths.get(documented, {}), (method, documented)
