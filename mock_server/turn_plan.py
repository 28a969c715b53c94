"""A turn's script: what happens when, decided up front from the message, the state and the seed.

`plan(...)` is pure given its RNG: the tool calls and results (with their args), the texts (in the
session's language, speaking as if a GUI existed, as the vendor's backend does), their virtual
times, and whether an edit closes silently. Every random draw is named in `Plan.decisions`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nemo_mock import contracts
from nemo_mock.server import rng, turn_tools
from nemo_mock.server.turn_intent import Intent, quoted, seconds

BGM = ("Lo-fi", "Upbeat Pop", "Cinematic", "Acoustic Chill")
VOLUMES = (0.25, 0.35, 0.5)
TITLES = ("Urban Dreams", "Summer Vibes", "New Beginnings", "Launch Day")
CLIP_SECONDS = (10, 15, 30)
TITLE_SECONDS = 3

# Fractions of the turn's duration at which steps happen (text always ends the turn).
_AT = {
    "generate_video": (0.02, 0.6),
    "add_bgm": (0.62, 0.78),
    "add_title": (0.8, 0.95),
    "edit": (0.1, 0.85),
}
_PARTIALS_AT = (0.96, 0.97, 0.98)

_TEXTS = {
    "en": {
        "answer": "I can generate videos from your files, trim clips, add background music and "
        "titles. Click the Upload button to add media, tell me what you want, then click the "
        "Export button to download your video.",
        "generate": 'Your video is ready: "{name}" ({secs}s) with {bgm} background music at {vol}% '
        'and the title "{title}". Preview it in the timeline, then click the Export button to '
        "download your video.",
        "trim": 'Trimmed "{name}" to {secs}s. Preview it in the timeline, then click the Export '
        "button to download your video.",
        "bgm": "Added {bgm} background music at {vol}% volume. Open the audio panel to fine-tune "
        "it, or click the Export button when you are ready.",
        "title": 'Added the title "{title}". Drag it on the timeline to move it, then click the '
        "Export button to download your video.",
        "edit": "Done, your project is updated. Preview it in the timeline, then click the Export "
        "button to download your video.",
        "trailing": "I encountered a temporary issue. Please try again in a moment.",
    },
    "zh": {
        "answer": "我可以根据你的素材生成视频、剪辑片段、添加背景音乐和标题。点击上传按钮添加素材，"
        "告诉我你想要的效果，然后点击导出按钮下载视频。",
        "generate": "视频已生成：「{name}」（{secs}秒），"
        "背景音乐 {bgm}（音量 {vol}%），标题「{title}」。"
        "可在时间线中预览，然后点击导出按钮下载视频。",
        "trim": "已将「{name}」剪辑为 {secs} 秒。可在时间线中预览，然后点击导出按钮下载视频。",
        "bgm": "已添加背景音乐 {bgm}（音量 {vol}%）。打开音频面板可以微调，准备好后点击导出按钮。",
        "title": "已添加标题「{title}」。拖拽时间线上的标题可调整位置，然后点击导出按钮下载视频。",
        "edit": "已完成修改。可在时间线中预览，然后点击导出按钮下载视频。",
        "trailing": "我遇到了临时问题，请稍后重试。",
    },
}


def lang(language: str) -> str:
    """The text language for a session language tag: `zh*` is Chinese, everything else English."""
    return "zh" if language.lower().startswith("zh") else "en"


def text(language: str, key: str, **values: Any) -> str:
    """A final text in the session's language."""
    return _TEXTS[lang(language)][key].format(**values)


def chunks(whole: str, n: int = 3) -> list[str]:
    """`whole` in up to `n` pieces (cut after a space when there is one) that join back to it."""
    size = -(-len(whole) // n)
    cuts, start = [], 0
    for i in range(1, n):
        target = i * size
        if target <= start or target >= len(whole):
            break
        space = whole.rfind(" ", start + 1, target + 1)
        cut = space + 1 if space > start else target
        cuts.append(cut)
        start = cut
    bounds = [0, *cuts, len(whole)]
    return [whole[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def duration_range(kind: str) -> tuple[float, float]:
    """Virtual seconds a turn of `kind` takes [v1.9] (contracts/facts.yaml)."""
    lo, hi = contracts.facts()["turn"][f"{kind}_seconds"]
    return float(lo), float(hi)


def decide_silent(seed: int, session_id: str, number: int, rate: float) -> tuple[bool, float]:
    """Whether edit turn `number` of a session closes silently: (decision, the draw in [0, 1))."""
    draw = rng.derive(seed, "silent", session_id, number).random()
    return draw < rate, draw


@dataclass(frozen=True)
class Step:
    """One thing the turn does `at` virtual seconds after it started working."""

    at: float
    kind: str  # call | result | partial | text | no_content
    tool: str = ""
    call_id: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    text: str = ""


@dataclass
class Plan:
    """The script of one turn."""

    duration: float
    steps: list[Step]
    decisions: dict[str, Any]
    final_text: str | None


def plan(
    intent: Intent,
    message: str,
    language: str,
    state: turn_tools.State,
    r: random.Random,
    *,
    silent: bool,
    streaming: bool,
    new_id: Callable[[str], str],
) -> Plan:
    """The script for `intent`; `r` is the turn's RNG, `new_id(kind)` makes call and media ids."""
    lo, hi = duration_range(intent.kind)
    duration = round(r.uniform(lo, hi), 3)
    decisions: dict[str, Any] = {"duration": duration}
    tools: list[tuple[str, dict[str, Any], tuple[float, float]]] = []
    draft = state["draft"]
    if intent.kind == "generation":
        secs = seconds(message) or _pick(r, decisions, "clip_seconds", CLIP_SECONDS)
        name = _pick(r, decisions, "clip_name", ("AI clip", "Promo clip", "Story clip"))
        bgm = _pick(r, decisions, "bgm", BGM)
        vol = _pick(r, decisions, "volume", VOLUMES)
        title = quoted(message) or _pick(r, decisions, "title", TITLES)
        tools = [
            (
                "generate_video",
                {
                    "prompt": message[:500],
                    "duration": secs,
                    "name": name,
                    "media_id": new_id("media"),
                },
                _AT["generate_video"],
            ),
            ("add_bgm", {"name": bgm, "volume": vol}, _AT["add_bgm"]),
            ("add_title", {"text": title, "duration": TITLE_SECONDS}, _AT["add_title"]),
        ]
        final = text(
            language, "generate", name=name, secs=secs, bgm=bgm, vol=round(vol * 100), title=title
        )
    elif intent.kind == "edit":
        tool, args, final = _edit(intent.action, message, language, draft, r, decisions)
        tools = [(tool, args, _AT["edit"])]
    else:
        final = text(language, "answer")
    steps: list[Step] = []
    for tool, args, (call_at, result_at) in tools:
        call_id = new_id("call")
        steps.append(Step(round(duration * call_at, 3), "call", tool, call_id, args))
        steps.append(Step(round(duration * result_at, 3), "result", tool, call_id, args))
    if silent:
        return Plan(duration, steps, decisions, None)
    if streaming:
        for piece, at in zip(chunks(final), _PARTIALS_AT, strict=False):
            steps.append(Step(round(duration * at, 3), "partial", text=piece))
    steps.append(Step(duration, "text", text=final))
    return Plan(duration, steps, decisions, final)


def _pick(r: random.Random, decisions: dict[str, Any], name: str, options: tuple[Any, ...]) -> Any:
    value = r.choice(options)
    decisions[name] = value
    return value


def _edit(
    action: str,
    message: str,
    language: str,
    draft: dict[str, Any],
    r: random.Random,
    decisions: dict[str, Any],
) -> tuple[str, dict[str, Any], str]:
    """The edit tool for `action`, its args and the final text (trim falls back without video)."""
    if action == "trim":
        cut = seconds(message) or _pick(r, decisions, "trim_seconds", (2, 3, 5))
        if turn_tools.can_trim(draft, cut):
            after = turn_tools.trim_clip({"draft": draft, "generated_media": []}, {"seconds": cut})
            segs = [s for t in draft["t"] if t.get("tt") == 0 for s in t["sg"]]
            name = max(segs, key=lambda s: s.get("st", 0) + s["d"]).get("m", {}).get("name", "clip")
            secs = f"{turn_tools.video_seconds(after['draft']):g}"
            return "trim_clip", {"seconds": cut}, text(language, "trim", name=name, secs=secs)
        action = "edit"
    if action == "bgm":
        bgm = _pick(r, decisions, "bgm", BGM)
        vol = _pick(r, decisions, "volume", VOLUMES)
        final = text(language, "bgm", bgm=bgm, vol=round(vol * 100))
        return "add_bgm", {"name": bgm, "volume": vol}, final
    if action == "title":
        title = quoted(message) or _pick(r, decisions, "title", TITLES)
        final = text(language, "title", title=title)
        return "add_title", {"text": title, "duration": TITLE_SECONDS}, final
    return "edit_draft", {"instruction": message[:200]}, text(language, "edit")
