"""Turn classification (mock_server/turn_intent.py): English and Chinese keywords."""

from __future__ import annotations

import pytest

from nemo_mock.server.turn_intent import Intent, classify, intent_for_kind, quoted, seconds

TABLE = [
    # generation
    ("generate a 30-second promo video", "generation", "generate"),
    ("Create a video from these photos", "generation", "generate"),
    ("make me a short clip about cats", "generation", "generate"),
    ("turn these images into a smooth 15-second video with transitions", "generation", "generate"),
    ("generate a video with background music", "generation", "generate"),
    ("image-to-video please", "generation", "generate"),
    ("帮我生成一个30秒的宣传视频", "generation", "generate"),
    ("用这些照片制作一段视频", "generation", "generate"),
    ("做一个产品介绍视频", "generation", "generate"),
    # edits
    ("trim the clip by 3 seconds", "edit", "trim"),
    ("make it shorter", "edit", "trim"),
    ("把视频剪短一点", "edit", "trim"),
    ("裁剪掉开头", "edit", "trim"),
    ("add background music", "edit", "bgm"),
    ("Add some lo-fi BGM", "edit", "bgm"),
    ("加上背景音乐", "edit", "bgm"),
    ("换一首配乐", "edit", "bgm"),
    ('add a title "Urban Dreams"', "edit", "title"),
    ("add subtitles", "edit", "title"),
    ("添加标题「城市之梦」", "edit", "title"),
    ("加字幕", "edit", "title"),
    ("add a fade transition", "edit", "edit"),
    ("change the filter to warm", "edit", "edit"),
    ("make it brighter", "edit", "edit"),
    ("调整一下滤镜", "edit", "edit"),
    ("把转场换成淡入淡出", "edit", "edit"),
    # text answers
    ("what can you do?", "text", "answer"),
    ("hello", "text", "answer"),
    ("how does this work", "text", "answer"),
    ("你好，你能做什么？", "text", "answer"),
    ("谢谢", "text", "answer"),
]


@pytest.mark.parametrize(
    ("message", "kind", "action"), [pytest.param(*row, id=row[0]) for row in TABLE]
)
def test_classify_table(message: str, kind: str, action: str) -> None:
    """'Turn kinds, classified deterministically (English and Chinese keywords)'."""
    assert classify(message) == Intent(kind, action)


def test_classify_is_a_pure_function_of_the_text() -> None:
    """The same message always gets the same turn kind; case and spacing do not matter."""
    assert classify("ADD   Background MUSIC") == classify("add background music")


@pytest.mark.parametrize(
    ("kind", "message", "expected"),
    [
        pytest.param("edit", "add music", Intent("edit", "bgm"), id="own-intent-kept"),
        pytest.param("edit", "hello", Intent("edit", "edit"), id="default-edit"),
        pytest.param(
            "generation", "hello", Intent("generation", "generate"), id="default-generation"
        ),
        pytest.param("text", "add music", Intent("text", "answer"), id="default-text"),
    ],
)
def test_forced_kind(kind: str, message: str, expected: Intent) -> None:
    """TurnOverrides.kind forces the turn kind."""
    assert intent_for_kind(kind, message) == expected


def test_forced_kind_must_be_known() -> None:
    """Only the three documented kinds exist."""
    with pytest.raises(ValueError, match="kind"):
        intent_for_kind("dance", "x")


@pytest.mark.parametrize(
    ("message", "value"),
    [
        pytest.param('add title "Urban Dreams"', "Urban Dreams", id="ascii-quotes"),
        pytest.param("添加标题「城市之梦」", "城市之梦", id="cjk-brackets"),
        pytest.param("add a title", None, id="none"),
    ],
)
def test_quoted_phrase(message: str, value: str | None) -> None:
    """A quoted phrase becomes the title's text."""
    assert quoted(message) == value


@pytest.mark.parametrize(
    ("message", "value"),
    [
        pytest.param("a 30-second video", 30, id="hyphen"),
        pytest.param("trim 3 seconds", 3, id="plural"),
        pytest.param("生成15秒视频", 15, id="chinese"),
        pytest.param("a video", None, id="none"),
    ],
)
def test_seconds_named_in_message(message: str, value: int | None) -> None:
    """A duration in the message sets the clip length or the trim amount."""
    assert seconds(message) == value
