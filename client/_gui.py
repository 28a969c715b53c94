"""GUI translation: the backend speaks as if there were buttons; the user has only words.

Seeds: "click"/"点击" → execute via API; "open"/"打开" → query state; "drag/drop"/"拖拽" → edit
through SSE; "preview in timeline" → show a track summary; "Export button"/"导出" → export. The
content of a text is kept; sentences (or trailing clauses) that give GUI instructions are removed
and replaced by what the user can say instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What a removed GUI instruction maps to."""

    EXPORT = "export"
    UPLOAD = "upload"
    CREDITS = "credits"
    EDIT = "edit"
    STATE = "state"
    ACT = "act"


_GUI = re.compile(
    r"\bclick(?:s|ed|ing)?\b|点击|单击"
    r"|\bopen(?:ing)?\s+(?:the\s+|your\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:panel|tab|menu|editor|timeline|window|page|sidebar|settings|library)\b|打开"
    r"|\bdrag(?:ging)?\b|\bdrop\b|drag-and-drop|拖拽|拖动"
    r"|\bpreview\s+(?:it\s+|this\s+|them\s+)?(?:in|on)\s+(?:the\s+)?timeline\b"
    r"|时间线.{0,6}预览|预览.{0,6}时间线"
    r"|\bexport\s+button\b|导出按钮|导出",
    re.IGNORECASE,
)
_KINDS: tuple[tuple[re.Pattern[str], Action], ...] = (
    (re.compile(r"export|download|导出|下载", re.IGNORECASE), Action.EXPORT),
    (re.compile(r"upload|上传", re.IGNORECASE), Action.UPLOAD),
    (re.compile(r"credit|balance|积分|余额", re.IGNORECASE), Action.CREDITS),
    (re.compile(r"\bdrag|\bdrop\b|拖拽|拖动", re.IGNORECASE), Action.EDIT),
    (re.compile(r"\bopen|preview|打开|预览", re.IGNORECASE), Action.STATE),
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_CLAUSE_SEP = re.compile(r"[,;:，；：]|\s[—–-]\s|\s(?:and|then|so)\s|然后|并")

HINTS_EN = {
    Action.EXPORT: 'Say "export" to render and download it.',
    Action.UPLOAD: 'Say "upload" followed by a file path or URL to add media.',
    Action.CREDITS: 'Say "credits" to see your balance.',
    Action.EDIT: 'Tell me the change in words (e.g. "move the title to 5s") and I\'ll apply it.',
    Action.STATE: "",
    Action.ACT: "Tell me what you'd like next and I'll do it for you.",
}
HINTS_ZH = {
    Action.EXPORT: "说「导出」即可渲染并下载视频。",
    Action.UPLOAD: "说「上传」加文件路径或链接即可添加素材。",
    Action.CREDITS: "说「积分」即可查看余额。",
    Action.EDIT: "用文字告诉我要怎么改（例如「把标题移到第5秒」），我来完成。",
    Action.STATE: "",
    Action.ACT: "告诉我下一步想做什么，我来帮你完成。",
}


@dataclass(frozen=True)
class Translation:
    """The text to show, and the actions the removed instructions stood for (in order)."""

    text: str
    actions: tuple[Action, ...]


def _action(instruction: str) -> Action:
    for pattern, action in _KINDS:
        if pattern.search(instruction):
            return action
    return Action.ACT


def _strip(sentence: str) -> tuple[str, Action | None, bool]:
    """(kept part, action, is Chinese) for one sentence."""
    match = _GUI.search(sentence)
    if match is None:
        return sentence, None, False
    action = _action(sentence[match.start() :])
    chinese = bool(_CJK.search(sentence))
    seps = [m for m in _CLAUSE_SEP.finditer(sentence, 0, match.start())]
    kept = ""
    if seps:
        kept = sentence[: seps[-1].start()].rstrip(" ,;:，；：")
        if re.search(r"\w\w", kept):
            kept += "。" if chinese else "."
        else:
            kept = ""
    return kept, action, chinese


def translate(text: str) -> Translation:
    """Remove GUI instructions from ``text`` and append what the user can say instead."""
    actions: list[Action] = []
    hints: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        kept: list[str] = []
        for sentence in _SENTENCE.split(line):
            part, action, chinese = _strip(sentence)
            if part.strip():
                kept.append(part.strip())
            if action is not None and action not in actions:
                actions.append(action)
                hint = (HINTS_ZH if chinese else HINTS_EN)[action]
                if hint:
                    hints.append(hint)
        if kept or not line.strip():
            lines.append(" ".join(kept))
    body = "\n".join(lines).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    shown = "\n".join(x for x in (body, " ".join(hints)) if x)
    return Translation(shown, tuple(actions))
