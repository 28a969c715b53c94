"""Intent routing (client/_routing.py), as the seeds' table prescribes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_mock.client._routing import Intent, route


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("export", Intent.EXPORT),
        ("export 1080p MP4", Intent.EXPORT),
        ("导出", Intent.EXPORT),
        ("请导出视频", Intent.EXPORT),
        ("download", Intent.EXPORT),
        ("please send me the video", Intent.EXPORT),
        ("credits", Intent.CREDITS),
        ("how many credits do I have?", Intent.CREDITS),
        ("积分", Intent.CREDITS),
        ("balance", Intent.CREDITS),
        ("余额还有多少", Intent.CREDITS),
        ("status", Intent.STATUS),
        ("状态", Intent.STATUS),
        ("show tracks", Intent.STATUS),
        ("upload", Intent.UPLOAD),
        ("上传", Intent.UPLOAD),
        ("add background music", Intent.CHAT),
        ("generate a 30-second promo video", Intent.CHAT),
        ("把标题改成红色", Intent.CHAT),
        ("make the exporter scene brighter", Intent.CHAT),
    ],
)
def test_routing_table(text: str, intent: Intent) -> None:
    """ "export"/"导出"/"download"/"send me the video" → export; "credits"/"积分"/"balance"/"余额"
    → credits; "status"/"状态"/"show tracks" → state; "upload"/"上传" → upload; else SSE."""
    assert route(text, exists=lambda _p: False).intent is intent


def test_sent_file_is_an_upload(tmp_path: Path) -> None:
    """ "user sends file" → upload."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    result = route(str(clip))
    assert (result.intent, result.target) == (Intent.UPLOAD, str(clip))


def test_upload_keyword_with_path(tmp_path: Path) -> None:
    """ "upload <path>" carries the path."""
    clip = tmp_path / "a.png"
    clip.write_bytes(b"x")
    assert route(f"upload {clip}").target == str(clip)


def test_media_url_is_an_upload() -> None:
    """A media URL is a sent file: upload by URL."""
    result = route("https://example.com/video.mp4", exists=lambda _p: False)
    assert (result.intent, result.target) == (Intent.UPLOAD, "https://example.com/video.mp4")


def test_upload_keyword_with_unsupported_url_still_uploads() -> None:
    """ "upload <url>" goes to upload even for a format the API will refuse (4001 shows formats)."""
    result = route("upload https://example.com/photo.heic", exists=lambda _p: False)
    assert (result.intent, result.target) == (Intent.UPLOAD, "https://example.com/photo.heic")


def test_web_page_url_in_chat_is_chat() -> None:
    """A non-media URL inside a request is part of the conversation."""
    assert route("make it look like https://example.com", exists=lambda _p: False).intent is (
        Intent.CHAT
    )


def test_upload_of_a_missing_file_keeps_its_name() -> None:
    """ "upload <path>" names the file even when it does not exist (so the user hears which)."""
    assert route("upload nope.mp4", exists=lambda _p: False).target == "nope.mp4"
    assert route("上传", exists=lambda _p: False).target is None
