"""Intent routing, as the seeds' table prescribes (English and Chinese keywords).

| User says...                                          | Action  |
| "export" / "导出" / "download" / "send me the video"  | export  |
| "credits" / "积分" / "balance" / "余额"               | credits |
| "status" / "状态" / "show tracks"                     | status  |
| "upload" / "上传" / user sends file                   | upload  |
| everything else (generate, edit, add BGM…)            | chat (SSE) |
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from nemo_mock import contracts


class Intent(StrEnum):
    """Where an utterance goes."""

    EXPORT = "export"
    CREDITS = "credits"
    STATUS = "status"
    UPLOAD = "upload"
    CHAT = "chat"


@dataclass(frozen=True)
class Route:
    """An intent and, for uploads, the file path or URL (``target``)."""

    intent: Intent
    text: str
    target: str | None = None


_TABLE: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.EXPORT, re.compile(r"\bexport\b|导出|\bdownload\b|\bsend me the video\b", re.I)),
    (Intent.CREDITS, re.compile(r"\bcredits?\b|积分|\bbalance\b|余额", re.I)),
    (Intent.STATUS, re.compile(r"\bstatus\b|状态|\bshow tracks\b", re.I)),
    (Intent.UPLOAD, re.compile(r"\bupload\b|上传", re.I)),
)
_URL = re.compile(r"https?://\S+", re.I)


def _is_media(name: str) -> bool:
    suffix = name.rsplit("?", 1)[0].rsplit(".", 1)
    return len(suffix) == 2 and "/" not in suffix[1] and bool(suffix[1])


def find_target(text: str, exists: Callable[[str], bool]) -> str | None:
    """A file path (that exists) or a URL named in ``text``, if any."""
    stripped = text.strip().strip("'\"")
    if stripped and exists(stripped):
        return stripped
    match = _URL.search(text)
    if match:
        return match.group(0).rstrip(".,;)'\"")
    for word in text.split():
        word = word.strip("'\"")
        if _is_media(word) and exists(word):
            return word
    return None


def _exists(path: str) -> bool:
    try:
        return Path(path).expanduser().is_file()
    except OSError:
        return False


def route(text: str, exists: Callable[[str], bool] = _exists) -> Route:
    """The route for one utterance. A sent file (an existing path, or a media URL) is an upload."""
    target = find_target(text, exists)
    if target is not None and (
        exists(target) or target.rsplit(".", 1)[-1].lower() in contracts.supported_formats()
    ):
        return Route(Intent.UPLOAD, text, target)
    for intent, pattern in _TABLE:
        if pattern.search(text):
            if intent is not Intent.UPLOAD:
                return Route(intent, text)
            # "upload <missing file>" keeps the name so the user hears which file was not found
            rest = pattern.sub(" ", text, count=1).strip().strip("'\"")
            return Route(intent, text, target or rest or None)
    return Route(Intent.CHAT, text)
