"""The draft (timeline) format the seeds document, as pure functions.

Short keys (seeds): ``t`` tracks, ``tt`` track type (0 video, 1 audio, 7 text), ``sg`` segments,
``d`` duration in ms, ``m`` metadata. ASSUMPTION: a segment's start is ``st`` (ms); metadata uses
``m.name``, ``m.text`` and ``m.volume`` (0..1); an audio track whose ``m.role`` is ``bgm`` (or any
audio track) is labelled "BGM".
"""

from __future__ import annotations

from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
_LABELS = {VIDEO: "Video", AUDIO: "BGM", TEXT: "Title"}


def empty_draft() -> dict[str, Any]:
    """A draft with no tracks."""
    return {"t": [], "d": 0}


def has_content(draft: Any) -> bool:
    """True when some track has a non-empty ``sg`` (vendor v1.9: ready for export)."""
    if not isinstance(draft, dict):
        return False
    tracks = draft.get("t")
    if not isinstance(tracks, list):
        return False
    return any(isinstance(t, dict) and isinstance(t.get("sg"), list) and t["sg"] for t in tracks)


def _secs(ms: Any) -> str:
    try:
        value = float(ms) / 1000.0
    except (TypeError, ValueError):
        return "?"
    return f"{value:g}"


def _segment(track_type: int, seg: dict[str, Any]) -> str:
    raw = seg.get("m")
    meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
    start = seg.get("st", 0)
    try:
        end: Any = float(start) + float(seg.get("d", 0))
    except (TypeError, ValueError):
        end = None
    span = f"{_secs(start)}-{_secs(end)}s"
    if track_type == TEXT:
        return f'"{meta.get("text") or meta.get("name") or ""}" ({span})'
    name = meta.get("name") or "untitled"
    if track_type == AUDIO and isinstance(meta.get("volume"), (int, float)):
        return f"{name} ({span}, {round(float(meta['volume']) * 100)}%)"
    return f"{name} ({span})"


def summary(draft: Any) -> str:
    """One-line summary in the seeds' format.

    ``Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title:
    "Urban Dreams" (0-3s)``
    """
    tracks = draft.get("t") if isinstance(draft, dict) else None
    if not isinstance(tracks, list) or not tracks:
        return "Timeline (0 tracks): empty"
    parts = []
    for i, track in enumerate(tracks, 1):
        tt = track.get("tt", VIDEO) if isinstance(track, dict) else VIDEO
        label = _LABELS.get(tt, f"Track type {tt}")
        segs = track.get("sg") if isinstance(track, dict) else None
        body = ", ".join(_segment(tt, s) for s in segs if isinstance(s, dict)) if segs else "empty"
        parts.append(f"{i}. {label}: {body}")
    noun = "track" if len(tracks) == 1 else "tracks"
    return f"Timeline ({len(tracks)} {noun}): " + " ".join(parts)
