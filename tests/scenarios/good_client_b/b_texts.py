"""Good client B, what it says: its own wording, in the user's language (English or Chinese)."""

from __future__ import annotations

import re

FORMATS = "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# seeds §Translating GUI Instructions: click/点击, open/打开, drag/drop/拖拽, preview in timeline,
# Export/导出 (button): B drops the sentences that give such instructions
_GUI = re.compile(
    r"\bclick|点击|单击|\bdrag|\bdrop\b|拖拽|拖动|\bopen the\b|打开|preview it in the timeline"
    r"|在时间线中预览|export button|导出按钮",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")

EN = {
    "connecting": "Connecting…",
    "few_minutes": "This may take a few minutes.",
    "working": "⏳ Still working...",
    "link": "Open the project in your browser: {url}",
    "credits": "Balance: {available} credits free to use, {frozen} held for running jobs, "
    "{total} in all.",
    "timeline": "{summary}",
    "uploaded": "Got {name} into the project.",
    "bad_format": "I can't use {ext} files. These formats work: {formats}.",
    "too_big": "{name} is over the size limit{limit}. Compress it or trim it to a shorter cut, "
    "then send it again.",
    "no_credits_anon": "The free credits are used up. Register here to keep going: {url}",
    "no_credits_reg": "Your account has no credits left. Top up at {web} to continue.",
    "plan": "Exporting is locked on the free plan — this is not a credits problem. "
    "Register or upgrade at {web} to unlock export.",
    "busy": "The service is rate-limiting new connections right now. "
    "Please wait a while and try again.",
    "new_project": "The earlier project had expired, so I started a fresh one.",
    "timeout": "This is taking too long: ten minutes passed without progress.",
    "changed": "✅ Updated. {summary}",
    "unchanged": "The request finished, but the timeline did not change.",
    "lost": "That request didn't go through. Say it again to retry.",
    "stream_error": "Something went wrong on the server while working on that. Please try again.",
    "say_export": 'Say "export" when you want the MP4.',
    "no_draft": "There is nothing to export yet: generate a video first.",
    "rendering": "⏳ Rendering ~30s",
    "ready": "✅ Video ready! Saved to {path}",
    "ready_url": "✅ Video ready! Download: {url}",
    "render_failed": "The export did not finish, even with a second try. Please try again later.",
    "failed": "That did not work ({code}). Please try again later.",
    "empty": "Tell me what video to make.",
}
ZH = {
    "connecting": "正在连接…",
    "few_minutes": "这可能需要几分钟。",
    "working": "⏳ 仍在处理中…",
    "link": "在浏览器中打开项目：{url}",
    "credits": "可用积分 {available}，冻结 {frozen}，合计 {total}。",
    "timeline": "{summary}",
    "uploaded": "已收到 {name}。",
    "bad_format": "不支持 {ext} 文件。支持的格式：{formats}。",
    "too_big": "{name} 超过大小上限{limit}。请压缩或剪短后重新发送。",
    "no_credits_anon": "免费积分已用完。注册后可继续使用：{url}",
    "no_credits_reg": "账户积分已用完，请到 {web} 充值后继续。",
    "plan": "免费套餐无法导出——这不是积分问题。请在 {web} 注册或升级套餐以解锁导出。",
    "busy": "服务暂时限制了新连接，请稍后再试。",
    "new_project": "之前的项目已过期，我重新开始了一个新项目。",
    "timeout": "等待时间太久：十分钟没有进展，已超时。",
    "changed": "✅ 已更新。{summary}",
    "unchanged": "请求已完成，但时间线没有变化。",
    "lost": "这次请求没有成功，请再说一次以重试。",
    "stream_error": "服务器处理时出错了，请再试一次。",
    "say_export": "需要成片时，说“导出”即可。",
    "no_draft": "还没有可以导出的内容：请先生成视频。",
    "rendering": "⏳ 正在渲染，约 30 秒",
    "ready": "✅ 视频已完成！保存在 {path}",
    "ready_url": "✅ 视频已完成！下载：{url}",
    "render_failed": "导出没有完成，重试一次后仍失败。请稍后再试。",
    "failed": "操作失败（{code}），请稍后再试。",
    "empty": "告诉我你想做什么视频。",
}


def language(utterance: str) -> str:
    """zh when the user writes Chinese, else en (the seeds' <detected> language)."""
    return "zh" if _CJK.search(utterance) else "en"


def say(lang: str, key: str, **values: object) -> str:
    """One message in the user's language."""
    return (ZH if lang == "zh" else EN)[key].format(**values)


def translate(text: str, lang: str) -> str:
    """Keep content sentences, drop GUI instructions; point to "export" when one was about it."""
    kept, dropped_export = [], False
    for sentence in _SENTENCES.split(text):
        if not sentence.strip():
            continue
        if _GUI.search(sentence):
            dropped_export |= bool(re.search(r"export|导出|download|下载", sentence, re.I))
            continue
        kept.append(sentence.strip())
    out = (" " if lang == "en" else "").join(kept)
    if dropped_export:
        out = f"{out} {say(lang, 'say_export')}".strip()
    return out


def summary(draft: dict[str, object] | None) -> str:
    """`Timeline (N tracks): 1. Video: name (0-10s) ...` from a draft (t, tt, sg, d, m)."""
    tracks = (draft or {}).get("t") if isinstance(draft, dict) else None
    if not isinstance(tracks, list) or not tracks:
        return "Timeline (0 tracks): empty"
    kinds = {0: "Video", 1: "Audio", 7: "Text"}
    parts = []
    for i, track in enumerate(tracks, 1):
        segments = track.get("sg") or [] if isinstance(track, dict) else []
        names = [
            str((s.get("m") or {}).get("name") or (s.get("m") or {}).get("text") or "")
            for s in segments
            if isinstance(s, dict)
        ]
        secs = sum(int(s.get("d") or 0) for s in segments if isinstance(s, dict)) / 1000
        label = ", ".join(n for n in names if n) or "untitled"
        kind = kinds.get(track.get("tt") if isinstance(track, dict) else None, "Track")
        parts.append(f"{i}. {kind}: {label} (0-{secs:g}s)")
    return f"Timeline ({len(tracks)} tracks): " + " ".join(parts)
