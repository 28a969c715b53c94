"""Render / export (DESIGN §3.5): submit, lifecycle on the virtual clock, MP4 and fallback."""

from __future__ import annotations

import io
from typing import Any

import av
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemo_mock import contracts
from nemo_mock.server import renders
from tests.conftest import ATTRIBUTION, Api

SUBMIT = "/api/render/proxy/lambda"
DRAFT = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "clip"}}]}], "d": 10000}


def _job(api: Api, render_id: str = "render_1", **over: Any) -> tuple[str, dict[str, Any]]:
    token = api.token()
    sid = api.session(token)["session_id"]
    body = {
        "id": render_id,
        "sessionId": sid,
        "draft": DRAFT,
        "output": {"format": "mp4", "quality": "high"},
    }
    body.update(over)
    r = api.http.post(SUBMIT, headers=api.headers(token), json=body)
    return token, r.json()


def _poll(api: Api, token: str, render_id: str = "render_1") -> dict[str, Any]:
    data: dict[str, Any] = api.http.get(f"{SUBMIT}/{render_id}", headers=api.headers(token)).json()
    return data


def test_submit_answers_a_pending_job(api: Api) -> None:
    """'Export (free, no credits)': the job starts pending with progress 0."""
    _, body = _job(api)
    assert body["code"] == 0
    assert body["data"] == {
        "id": "render_1",
        "status": "pending",
        "progress": 0.0,
        "output": None,
        "error": None,
    }


def test_export_is_free(api: Api) -> None:
    """'Export (free, no credits)'."""
    token, _ = _job(api)
    assert (
        api.http.get("/api/credits/balance/simple", headers=api.headers(token)).json()["data"][
            "total"
        ]
        == 100
    )


@pytest.mark.parametrize("missing", list(ATTRIBUTION))
def test_export_without_attribution_answers_402(api: Api, missing: str) -> None:
    """'Missing attribution headers will cause export to fail with 402.'"""
    token = api.token()
    sid = api.session(token)["session_id"]
    headers = {k: v for k, v in api.headers(token).items() if k != missing}
    r = api.http.post(
        SUBMIT, headers=headers, json={"id": "render_2", "sessionId": sid, "draft": DRAFT}
    )
    assert (r.status_code, r.json()["code"]) == (402, 402)


def test_missing_attribution_is_flagged_in_the_journal(api: Api) -> None:
    """The journal flags every request that lacks the attribution headers."""
    api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "j"})
    assert api.world.journal.query({"path": "/api/auth/anonymous-token"})[-1][
        "missing_attribution"
    ] == [
        "x-skill-source",
        "x-skill-version",
        "x-skill-platform",
    ]


def test_draft_without_content_answers_400(api: Api) -> None:
    """v1.9: ready for export only when some track has a non-empty sg."""
    _, body = _job(api, draft={"t": [{"tt": 0, "sg": []}], "d": 0})
    assert body["code"] == 400


@pytest.mark.parametrize(
    "over", [{"id": ""}, {"sessionId": None}, {"draft": "x"}, {"output": {"format": "gif"}}]
)
def test_malformed_render_body_answers_400(api: Api, over: dict[str, Any]) -> None:
    """ASSUMPTION: a malformed request answers 400."""
    _, body = _job(api, **over)
    assert body["code"] == 400


def test_render_for_another_users_session_answers_1002(api: Api) -> None:
    """Sessions belong to the token's user."""
    sid = api.session(api.token())["session_id"]
    r = api.http.post(
        SUBMIT, headers=api.headers(api.token()), json={"id": "r", "sessionId": sid, "draft": DRAFT}
    )
    assert r.json()["code"] == 1002


def test_resubmitting_the_same_id_returns_the_same_job(api: Api) -> None:
    """ASSUMPTION: submit is idempotent for a repeated id."""
    token, _ = _job(api)
    api.advance(20)
    sid = next(iter(api.world.sessions))
    again = api.http.post(
        SUBMIT,
        headers=api.headers(token),
        json={"id": "render_1", "sessionId": sid, "draft": DRAFT},
    )
    assert len(api.world.renders) == 1
    assert again.json()["data"] == _poll(api, token)["data"]
    assert again.json()["data"]["status"] != "pending"  # the old job, 20 s on, not a new one


def test_lifecycle_runs_pending_processing_completed(api: Api) -> None:
    """v1.9: pending → processing → completed; completes after 30–90 s virtual."""
    token, _ = _job(api)
    seen = []
    for _ in range(100):
        data = _poll(api, token)["data"]
        seen.append((data["status"], data["progress"]))
        api.advance(1)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "pending" and statuses[-1] == "completed"
    assert statuses.index("completed") in range(30, 91)
    order = {"pending": 0, "processing": 1, "completed": 2}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    assert [p for _, p in seen] == sorted(p for _, p in seen)


def test_completed_output_has_url_size_and_duration(api: Api) -> None:
    """'Download URL at output.url.'"""
    token, _ = _job(api)
    api.advance(91)
    out = _poll(api, token)["data"]["output"]
    assert out["duration"] == 10.0 and out["size"] > 0 and out["url"].endswith(".mp4")
    assert token not in out["url"]


def test_output_url_serves_a_valid_mp4(api: Api) -> None:
    """output.url serves a real MP4 with Content-Length (no token needed)."""
    token, _ = _job(api)
    api.advance(91)
    out = _poll(api, token)["data"]["output"]
    r = api.http.get(out["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    assert int(r.headers["content-length"]) == out["size"] == len(r.content)
    with av.open(io.BytesIO(r.content)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.duration and container.duration > 0


def test_output_url_supports_range(api: Api) -> None:
    """Range requests answer 206 with the requested bytes."""
    token, _ = _job(api)
    api.advance(91)
    url = _poll(api, token)["data"]["output"]["url"]
    full = api.http.get(url).content
    part = api.http.get(url, headers={"Range": "bytes=4-11"})
    assert part.status_code == 206
    assert part.content == full[4:12] and part.content.startswith(b"ftyp")
    assert part.headers["content-range"] == f"bytes 4-11/{len(full)}"


def test_media_of_an_unfinished_render_is_not_served(api: Api) -> None:
    """Nothing is served before completion."""
    _job(api)
    name = next(iter(api.world.renders.values())).media_name
    assert api.http.get(f"/media/renders/{name}").status_code == 404


def test_fallback_download_serves_the_mp4(api: Api) -> None:
    """v1.9 fallback: GET /api/render/proxy/{id}/download."""
    token, _ = _job(api)
    api.advance(91)
    r = api.http.get("/api/render/proxy/render_1/download", headers=api.headers(token))
    assert r.status_code == 200 and r.content[4:8] == b"ftyp"


def test_fallback_download_of_an_unfinished_render_answers_404(api: Api) -> None:
    """ASSUMPTION (renderDownload): a job that is not completed has nothing to download: 404."""
    token, _ = _job(api)
    r = api.http.get("/api/render/proxy/render_1/download", headers=api.headers(token))
    assert (r.status_code, r.json()["code"]) == (404, 404)
    assert "pending" in r.json()["message"]


def test_fallback_download_needs_the_token(api: Api) -> None:
    """The fallback is an API endpoint: Bearer required."""
    _job(api)
    api.advance(91)
    r = api.http.get("/api/render/proxy/render_1/download", headers=ATTRIBUTION)
    assert r.json()["code"] == 1001


def test_unknown_render_id_answers_404(api: Api) -> None:
    """ASSUMPTION: 404 for an unknown render id."""
    token = api.token()
    r = api.http.get(f"{SUBMIT}/render_nope", headers=api.headers(token))
    assert (r.status_code, r.json()["code"]) == (404, 404)


def test_another_users_render_answers_404(api: Api) -> None:
    """A render id belongs to the user that submitted it."""
    _job(api)
    r = api.http.get(f"{SUBMIT}/render_1", headers=api.headers(api.token()))
    assert r.json()["code"] == 404


def test_failure_rate_one_makes_every_render_fail(make_api) -> None:  # type: ignore[no-untyped-def]
    """render_failure_rate: a failed render ends failed with an error and no output."""
    api = make_api(render_failure_rate=1.0)
    token, _ = _job(api)
    api.advance(91)
    data = _poll(api, token)["data"]
    assert data["status"] == "failed" and data["output"] is None and data["error"]


def test_render_timing_is_reproducible_under_a_seed(make_api) -> None:  # type: ignore[no-untyped-def]
    """Each random decision draws from an RNG derived from (seed, job)."""
    a, b = make_api(seed=5), make_api(seed=5)
    _job(a)
    _job(b)
    ra, rb = next(iter(a.world.renders.values())), next(iter(b.world.renders.values()))
    assert (ra.duration, ra.pending_seconds) == (rb.duration, rb.pending_seconds)


def test_summary_of_the_seeds_example() -> None:
    """The seeds' example timeline summary, byte for byte."""
    draft = {
        "t": [
            {"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "city timelapse"}}]},
            {"tt": 1, "sg": [{"st": 0, "d": 10000, "m": {"name": "Lo-fi", "volume": 0.35}}]},
            {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
        ]
    }
    assert contracts.summary(draft) == (
        "Timeline (3 tracks): 1. Video: city timelapse (0-10s) "
        '2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)'
    )


def test_a_completed_poll_follows_the_answer_shape_set_later(api: Api) -> None:
    """A completed job's poll takes the render_status_shape in force at each poll (v1.9 §3.5
    "Status at top-level `status`" is one reading; the envelope and {success, data} the others)."""
    token, _ = _job(api)
    api.advance(91)
    url = f"{SUBMIT}/render_1"
    first = api.http.get(url, headers=api.headers(token)).json()
    assert first["code"] == 0 and first["data"]["status"] == "completed"
    api.http.patch("/_mock/config", json={"render_status_shape": "bare"})
    bare = api.http.get(url, headers=api.headers(token)).json()
    assert bare["status"] == "completed" and bare["id"] == "render_1" and "code" not in bare
    api.http.patch("/_mock/config", json={"render_status_shape": "success"})
    success = api.http.get(url, headers=api.headers(token)).json()
    assert success["success"] is True and success["data"]["status"] == "completed"
    api.http.patch("/_mock/config", json={"render_status_shape": "envelope"})
    again = api.http.get(url, headers=api.headers(token)).json()
    assert again == first


def test_a_completed_poll_names_the_host_each_client_used(api: Api) -> None:
    """output.url is built from the Host the polling client sent, poll by poll."""
    token, _ = _job(api)
    api.advance(91)
    url = f"{SUBMIT}/render_1"

    def media_url(host: str) -> str:
        r = api.http.get(url, headers={**api.headers(token), "Host": host})
        out: str = r.json()["data"]["output"]["url"]
        return out

    a, b = media_url("a.example"), media_url("b.example:8081")
    assert a.startswith("http://a.example/media/renders/") and a.endswith(".mp4")
    assert b == a.replace("http://a.example/", "http://b.example:8081/")
    assert media_url("a.example") == a


@pytest.mark.parametrize(
    ("fraction", "reported"),
    [
        (0.0, 0.0),
        (0.12344, 0.1234),
        (0.12346, 0.1235),
        (0.5, 0.5),
        (1 / 3, 0.3333),
        (2 / 3, 0.6667),
        (0.99994, 0.9999),
        (0.99996, 1.0),
        (1.0, 1.0),
    ],
)
def test_progress_is_reported_to_four_places(fraction: float, reported: float) -> None:
    """A poll's progress has at most four decimal places (written out here, not recomputed)."""
    assert renders.four_places(fraction) == reported


@given(st.floats(0, 1), st.floats(0, 1))
def test_progress_to_four_places_never_goes_back(a: float, b: float) -> None:
    """Rounding keeps the order: a job's progress never decreases between polls, and it stays
    within half a unit of the fourth place."""
    low, high = sorted((a, b))
    assert renders.four_places(low) <= renders.four_places(high)
    assert abs(renders.four_places(a) - a) <= 0.00005 + 1e-12
