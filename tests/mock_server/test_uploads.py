"""Upload (DESIGN §3.3): formats, per-profile size limits, multipart and URL forms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nemo_mock import contracts
from tests.conftest import Api


def upload_path(sid: str) -> str:
    return f"/api/upload-video/nemo_agent/me/{sid}"


def _ready(api: Api) -> tuple[str, str]:
    token = api.token()
    return token, api.session(token)["session_id"]


@pytest.mark.parametrize("ext", sorted(contracts.supported_formats()))
def test_every_supported_format_is_accepted(api: Api, ext: str) -> None:
    """'Supported formats: mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac.'"""
    token, sid = _ready(api)
    r = api.http.post(
        upload_path(sid), headers=api.headers(token), files={"files": (f"a.{ext}", b"x" * 10)}
    )
    assert r.json()["code"] == 0
    assert r.json()["data"]["files"][0]["type"] == contracts.supported_formats()[ext]


def test_extension_check_is_case_insensitive(api: Api) -> None:
    """'clip.MP4' is an mp4."""
    token, sid = _ready(api)
    r = api.http.post(
        upload_path(sid), headers=api.headers(token), files={"files": ("CLIP.MP4", b"x")}
    )
    assert r.json()["code"] == 0


@pytest.mark.parametrize("name", ["photo.heic", "doc.pdf", "noext", "movie.mp4.exe"])
def test_unsupported_file_answers_4001(api: Api, name: str) -> None:
    """'4001 — Unsupported file: show supported formats' (HEIC too, despite seed 003's tips)."""
    token, sid = _ready(api)
    r = api.http.post(upload_path(sid), headers=api.headers(token), files={"files": (name, b"x")})
    assert r.json()["code"] == 4001
    assert r.status_code == contracts.errors()[4001].http_status(api.settings.error_status)
    assert "mp4" in r.json()["message"]


def test_several_files_in_one_upload(api: Api) -> None:
    """'-F files=@/path' may repeat: every file is answered and recorded."""
    token, sid = _ready(api)
    files = [("files", ("a.mp4", b"a" * 100)), ("files", ("b.png", b"b" * 7))]
    data = api.http.post(upload_path(sid), headers=api.headers(token), files=files).json()["data"]
    assert [(f["filename"], f["size"], f["type"]) for f in data["files"]] == [
        ("a.mp4", 100, "video"),
        ("b.png", 7, "image"),
    ]


def test_field_name_file_is_accepted(api: Api) -> None:
    """DESIGN §3.3: multipart field `files`; accept `file` too."""
    token, sid = _ready(api)
    r = api.http.post(upload_path(sid), headers=api.headers(token), files={"file": ("a.mov", b"x")})
    assert r.json()["code"] == 0


def test_upload_appears_in_video_infos(api: Api) -> None:
    """Each upload appears in state.video_infos."""
    token, sid = _ready(api)
    fid = api.http.post(
        upload_path(sid), headers=api.headers(token), files={"files": ("a.mp4", b"x")}
    ).json()["data"]["files"][0]["file_id"]
    state = api.http.get(
        f"/api/state/nemo_agent/me/{sid}/latest", headers=api.headers(token)
    ).json()["data"]
    assert [i["file_id"] for i in state["state"]["video_infos"]] == [fid]


def test_url_upload_is_recorded_not_fetched(api: Api) -> None:
    """URL form: {"urls":["<url>"],"source_type":"url"}."""
    token, sid = _ready(api)
    body = {"urls": ["https://example.com/clip.mp4"], "source_type": "url"}
    f = api.http.post(upload_path(sid), headers=api.headers(token), json=body).json()["data"][
        "files"
    ][0]
    assert (f["filename"], f["type"], f["url"]) == (
        "clip.mp4",
        "video",
        "https://example.com/clip.mp4",
    )


def test_url_with_unsupported_extension_answers_4001(api: Api) -> None:
    """A URL naming an unsupported file is refused like a file."""
    token, sid = _ready(api)
    body = {"urls": ["https://example.com/a.heic"], "source_type": "url"}
    assert (
        api.http.post(upload_path(sid), headers=api.headers(token), json=body).json()["code"]
        == 4001
    )


@pytest.mark.parametrize(
    "body",
    [
        {"urls": []},
        {"urls": "https://x/a.mp4"},
        {"urls": ["ftp://x/a.mp4"]},
        {"urls": ["a"], "source_type": "file"},
    ],
)
def test_malformed_url_upload_answers_400(api: Api, body: dict[str, object]) -> None:
    """ASSUMPTION: a malformed request answers 400."""
    token, sid = _ready(api)
    assert (
        api.http.post(upload_path(sid), headers=api.headers(token), json=body).json()["code"] == 400
    )


def test_upload_without_a_file_answers_400(api: Api) -> None:
    """A multipart body with no file part is malformed."""
    token, sid = _ready(api)
    r = api.http.post(
        upload_path(sid),
        headers=api.headers(token),
        data={"note": "hi"},
        files={"other": ("x.mp4", b"x")},
    )
    assert r.json()["code"] == 400


@pytest.mark.parametrize(
    ("source", "limit_mb"),
    [
        pytest.param(p.source, p.max_upload_bytes // 2**20, id=p.source)
        for p in contracts.profiles().values()
    ],
)
def test_size_limit_follows_the_profile_from_content_length(
    api: Api, source: str, limit_mb: int
) -> None:
    """Seeds disagree (500 MB vs 200 MB): the X-Skill-Source profile decides; over → 4002."""
    token, sid = _ready(api)
    headers = {
        **api.headers(token, **{"X-Skill-Source": source}),
        "content-type": "multipart/form-data; boundary=xyz",
        "content-length": str(limit_mb * 2**20 + 10 * 2**20),
    }
    r = api.http.post(upload_path(sid), headers=headers, content=b"--xyz--\r\n")
    assert r.json()["code"] == 4002
    assert r.json()["data"]["max_bytes"] == limit_mb * 2**20


def _chunks(total: int, filename: str) -> Iterator[bytes]:
    yield (
        b'--b\r\nContent-Disposition: form-data; name="files"; filename="'
        + filename.encode()
        + b'"\r\n'
        b"Content-Type: video/mp4\r\n\r\n"
    )
    block = b"\0" * (1 << 20)
    for _ in range(total // len(block)):
        yield block
    yield b"\r\n--b--\r\n"


def test_size_limit_is_enforced_while_streaming_without_content_length(make_api) -> None:  # type: ignore[no-untyped-def]
    """Without Content-Length the limit is decided while streaming (201 MB to a 200 MB profile)."""
    api = make_api()
    token, sid = _ready(api)
    headers = {
        **api.headers(token, **{"X-Skill-Source": "create-a-free-ai-video"}),
        "content-type": "multipart/form-data; boundary=b",
    }
    r = api.http.post(upload_path(sid), headers=headers, content=_chunks(201 << 20, "big.mp4"))
    assert r.json()["code"] == 4002


def test_a_streamed_file_under_the_limit_is_counted(make_api) -> None:  # type: ignore[no-untyped-def]
    """A chunked upload is counted, not held: its size is reported exactly."""
    api = make_api()
    token, sid = _ready(api)
    headers = {**api.headers(token), "content-type": "multipart/form-data; boundary=b"}
    r = api.http.post(upload_path(sid), headers=headers, content=_chunks(8 << 20, "ok.mp4"))
    assert r.json()["data"]["files"][0]["size"] == 8 << 20


def test_upload_to_another_users_session_answers_1002(api: Api) -> None:
    """Sessions belong to the token's user."""
    _, sid = _ready(api)
    other = api.token()
    r = api.http.post(
        upload_path(sid), headers=api.headers(other), files={"files": ("a.mp4", b"x")}
    )
    assert r.json()["code"] == 1002


def test_upload_with_another_content_type_answers_400(api: Api) -> None:
    """Only multipart/form-data or JSON URLs are uploads."""
    token, sid = _ready(api)
    r = api.http.post(
        upload_path(sid), headers={**api.headers(token), "content-type": "text/plain"}, content=b"x"
    )
    assert r.json()["code"] == 400


def _limit_for(api: Api, source: str | None) -> int:
    """The max_bytes a 600 MB upload is refused with (or 0 when it was not refused)."""
    token, sid = _ready(api)
    headers = {
        **api.headers(token),
        "content-type": "multipart/form-data; boundary=xyz",
        "content-length": str(600 * 2**20),
    }
    if source is None:
        headers.pop("X-Skill-Source", None)
        headers.pop("x-skill-source", None)
    else:
        headers["X-Skill-Source"] = source
    r = api.http.post(upload_path(sid), headers=headers, content=b"--xyz--\r\n")
    return int((r.json().get("data") or {}).get("max_bytes") or 0)


@pytest.mark.parametrize("source", ["video-create", "my-own-skill", None])
def test_setting_profile_decides_for_every_source(make_api, source) -> None:  # type: ignore[no-untyped-def]
    """`profile`: a scenario picks the limit in the server block, whatever the client's name."""
    api = make_api(profile="create-a-free-ai-video")
    assert _limit_for(api, source) == 200 * 2**20


@pytest.mark.parametrize(("source", "limit_mb"), [("my-own-skill", 200), (None, 200)])
def test_default_profile_answers_unknown_or_missing_sources(make_api, source, limit_mb) -> None:  # type: ignore[no-untyped-def]
    """`default_profile`: the profile for an unrecognised or absent X-Skill-Source."""
    api = make_api(default_profile="ai-video-generation-online")
    assert _limit_for(api, source) == limit_mb * 2**20


def test_default_profile_leaves_known_sources_their_own(make_api) -> None:  # type: ignore[no-untyped-def]
    """A known X-Skill-Source keeps its own profile (video-create: 500 MB)."""
    api = make_api(default_profile="ai-video-generation-online")
    assert _limit_for(api, "video-create") == 500 * 2**20
