"""The rendered MP4 matches the draft (DESIGN §3.5): checked by decoding it with PyAV."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from nemo_mock.server.media import spec_for
from nemo_mock.server.settings import Settings
from tests.conftest import Api

SUBMIT = "/api/render/proxy/lambda"
VIDEO = {"tt": 0, "sg": [{"st": 0, "d": 3000, "m": {"name": "beach"}}]}
BGM = {"tt": 1, "m": {"role": "bgm"}, "sg": [{"st": 0, "d": 3000, "m": {"volume": 0.5}}]}
TITLE = {"tt": 7, "sg": [{"st": 0, "d": 1000, "m": {"text": "Hi There"}}]}
FULL = {"t": [VIDEO, BGM, TITLE], "d": 3000}
PLAIN = {"t": [VIDEO], "d": 3000}
FPS = 10  # contracts/facts.yaml render.media.fps


def render(api: Api, draft: dict[str, Any], canvas: dict[str, int] | None = None) -> Any:
    """Submit `draft`, let the render complete, answer (output, the MP4's bytes)."""
    token = api.token()
    sid = api.session(token)["session_id"]
    if canvas is not None:
        api.world.sessions[sid].canvas_config = canvas
    body = {"id": "render_1", "sessionId": sid, "draft": draft}
    assert api.http.post(SUBMIT, headers=api.headers(token), json=body).json()["code"] == 0
    api.advance(91)  # renders complete within 30-90 s (seeds)
    output = api.http.get(f"{SUBMIT}/render_1", headers=api.headers(token)).json()["data"]["output"]
    r = api.http.get(output["url"])
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    return output, r.content


def decoded(data: bytes) -> Any:
    return av.open(io.BytesIO(data))


def bright_pixels(frame: Any) -> int:
    """Pixels of the luma plane lighter than any clip colour: the title's ink."""
    plane = frame.planes[0]
    rows = bytes(plane)
    return sum(
        1
        for y in range(frame.height)
        for v in rows[y * plane.line_size : y * plane.line_size + frame.width]
        if v > 200
    )


@pytest.fixture
def api(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    return make_api(render_cache_dir=str(tmp_path / "media"))


def test_duration_is_the_drafts_to_the_frame(api: Api) -> None:
    """'The MP4 matches the draft (duration ...)': 3 s draft, 3 s file (±1 frame)."""
    output, data = render(api, PLAIN)
    with decoded(data) as container:
        video = container.streams.video[0]
        seconds = float(video.duration * video.time_base)
        assert abs(seconds - 3.0) <= 1 / FPS
        assert abs(container.duration / 1_000_000 - 3.0) <= 1 / FPS
    assert output["duration"] == 3.0


def test_output_size_is_the_files_content_length(api: Api) -> None:
    """output.size is the number of bytes output.url serves."""
    output, data = render(api, PLAIN)
    assert output["size"] == len(data)


def test_a_draft_with_bgm_has_an_audio_track(api: Api) -> None:
    """'an audio track when there is BGM'."""
    _, data = render(api, FULL)
    with decoded(data) as container:
        (audio,) = container.streams.audio
        assert audio.codec_context.name == "aac"
        assert abs(float(audio.duration * audio.time_base) - 3.0) <= 1 / FPS


def test_a_draft_without_audio_has_no_audio_track(api: Api) -> None:
    """No audio track in the draft, none in the file."""
    _, data = render(api, PLAIN)
    with decoded(data) as container:
        assert list(container.streams.audio) == []


def test_the_title_is_drawn_while_its_segment_runs(api: Api) -> None:
    """The title (0-1 s) is visible in the first second and gone after it."""
    _, data = render(api, FULL)
    with decoded(data) as container:
        frames = list(container.decode(video=0))
    assert bright_pixels(frames[5]) > 50  # 0.5 s: inside the title's segment
    assert bright_pixels(frames[20]) == 0  # 2.0 s: after it


def test_resolution_is_the_canvas_scaled_down(api: Api) -> None:
    """The session's canvas, its longest side scaled to 320 (the documented smaller default)."""
    _, data = render(api, PLAIN, canvas={"width": 1920, "height": 1080})
    with decoded(data) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (320, 180)


def test_the_file_is_drawn_once_per_draft(api: Api, tmp_path: Path) -> None:
    """Cached per draft content: polling and Range requests never draw it again."""
    output, _ = render(api, PLAIN)
    files = list((tmp_path / "media").glob("*.mp4"))
    stamp = files[0].stat().st_mtime_ns
    api.http.get(output["url"], headers={"Range": "bytes=0-99"})
    api.http.get(output["url"])
    assert list((tmp_path / "media").glob("*.mp4")) == files
    assert files[0].stat().st_mtime_ns == stamp


def test_nothing_is_drawn_before_the_render_completes(api: Api, tmp_path: Path) -> None:
    """The MP4 is made lazily: a pending job has no file."""
    token = api.token()
    sid = api.session(token)["session_id"]
    body = {"id": "render_1", "sessionId": sid, "draft": PLAIN}
    api.http.post(SUBMIT, headers=api.headers(token), json=body)
    api.http.get(f"{SUBMIT}/render_1", headers=api.headers(token))
    assert not list((tmp_path / "media").glob("*.mp4"))


@pytest.mark.parametrize(
    ("ms", "frames"),
    [(3000, 30), (2040, 20), (2060, 21), (0, 1), (10**12, 6000)],
)
def test_frame_count_follows_the_draft_length(ms: int, frames: int) -> None:
    """Frames = draft ms × fps, at least one, at most render_media_max_seconds × fps."""
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": ms}]}], "d": ms}
    assert spec_for(draft, {}, Settings()).frames == frames


def test_a_draft_without_d_uses_its_last_segment_end() -> None:
    """`d` missing: the draft lasts until its last segment ends."""
    draft = {"t": [{"tt": 0, "sg": [{"st": 1000, "d": 1500}]}]}
    assert spec_for(draft, {}, Settings()).frames == 25


def test_a_specs_cached_key_leaves_equality_and_the_file_name_alone(tmp_path: Path) -> None:
    """Polls reuse a spec's content hash; a fresh parse of the same spec names the same file."""
    from dataclasses import asdict

    from nemo_mock.server.media import MediaCache, Spec

    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 3000}]}]}
    first = spec_for(draft, {}, Settings())
    key = first.key()
    again = Spec.from_dict(asdict(first))
    assert again == first and hash(again) == hash(first) and again.key() == key
    cache = MediaCache(tmp_path)
    assert cache.ready(first) is None  # not drawn: a poll must not claim it is
    drawn = cache.ensure(first)
    assert cache.ready(again) == drawn and drawn.name == f"{key}.mp4"
