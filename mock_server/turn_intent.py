"""What a user message asks for: the turn kind and action, from English and Chinese keywords.

A pure function of the text, so a message is always classified the same way. Kinds [v1.9]:
`text` (an answer, 5-15 s), `edit` (10-30 s), `generation` (100-300 s). Edit actions pick the tool:
`trim` (trim_clip), `bgm` (add_bgm), `title` (add_title), `edit` (edit_draft, metadata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("text", "edit", "generation")

# Order matters: generation wins over edit ("generate a video with music"), and within edits the
# first matching action wins ("add a title" is a title even though "add" alone is an edit).
_GENERATION = re.compile(
    r"\bgenerat"
    r"|\b(?:make|create|produce|build)\b.*\b(?:video|clip|movie|reel|film|promo|animation)"
    r"|\b(?:turn|convert)\b.*\binto\b"
    r"|\b(?:text|image|images|photos?)[- ]to[- ]video"
    r"|生成|(?:做|制作|创建|创作).*?(?:视频|短片|影片|片子)"
)
_ACTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "trim",
        (
            "trim",
            "shorten",
            "shorter",
            "cut ",
            "cut the",
            "crop",
            "剪短",
            "裁剪",
            "缩短",
            "剪掉",
            "截取",
        ),
    ),
    (
        "bgm",
        ("music", "bgm", "soundtrack", "song", "audio", "音乐", "配乐", "背景乐", "歌"),
    ),
    ("title", ("title", "caption", "subtitle", "text", "标题", "字幕", "文字", "文案")),
    (
        "edit",
        (
            "add",
            "change",
            "replace",
            "remove",
            "delete",
            "edit",
            "adjust",
            "speed",
            "slow",
            "faster",
            "transition",
            "filter",
            "volume",
            "color",
            "colour",
            "brighter",
            "darker",
            "move",
            "swap",
            "reorder",
            "make it",
            "添加",
            "加上",
            "修改",
            "调整",
            "删除",
            "替换",
            "转场",
            "滤镜",
            "音量",
            "变速",
            "加速",
            "减速",
            "移动",
            "改成",
            "换成",
            "编辑",
        ),
    ),
)


@dataclass(frozen=True)
class Intent:
    """A classified message: the turn kind and the action (tool family) within it."""

    kind: str
    action: str


def classify(message: str) -> Intent:
    """The turn a message asks for (generation > edit > text answer)."""
    text = " ".join(message.lower().split()) + " "
    if _GENERATION.search(text):
        return Intent("generation", "generate")
    for action, keys in _ACTIONS:
        if any(k in text for k in keys):
            return Intent("edit", action)
    return Intent("text", "answer")


def intent_for_kind(kind: str, message: str) -> Intent:
    """The intent when the kind is forced (fault override): the message's own, else a default."""
    if kind not in KINDS:
        raise ValueError(f"turn kind must be one of {KINDS}")
    found = classify(message)
    if found.kind == kind:
        return found
    return Intent(kind, {"text": "answer", "edit": "edit", "generation": "generate"}[kind])


_QUOTED = re.compile(r"[\"“”'「『《](.+?)[\"“”'」』》]")
_SECONDS = re.compile(r"(\d{1,3})\s*(?:-\s*)?(?:seconds?|secs?|s\b|秒)")


def quoted(message: str) -> str | None:
    """The first quoted phrase of the message (a title's text), if any."""
    m = _QUOTED.search(message)
    return m.group(1).strip() or None if m else None


def seconds(message: str) -> int | None:
    """A duration in seconds named in the message ("30-second", "15 s", "10秒"), if any."""
    m = _SECONDS.search(message.lower())
    return int(m.group(1)) if m and 0 < int(m.group(1)) <= 600 else None
