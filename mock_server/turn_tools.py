"""The agent's tools as pure functions: (session state, args) -> the state fields they change.

Draft keys as the seeds document them (t tracks, tt type 0/1/7, sg segments, d ms, m metadata;
ASSUMPTION st = segment start in ms). Every tool returns a new draft (inputs are never mutated),
and every tool changes the draft, so a silent close is always detectable through the state.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
DEFAULT_MS = 10_000  # ASSUMPTION: music or a title on an empty timeline spans 10 s
MIN_CLIP_MS = 1_000  # a trim never shortens a clip below one second

State = dict[str, Any]  # {"draft": ..., "generated_media": [...]}
Changes = dict[str, Any]  # the session fields a tool sets


def _end(seg: dict[str, Any]) -> int:
    return int(seg.get("st", 0)) + int(seg.get("d", 0))


def _length(draft: dict[str, Any]) -> int:
    ends = [_end(s) for t in draft.get("t", []) for s in t.get("sg", []) if isinstance(s, dict)]
    return max(ends, default=0)


def _video_length(draft: dict[str, Any]) -> int:
    ends = [_end(s) for t in draft.get("t", []) if t.get("tt") == VIDEO for s in t.get("sg", [])]
    return max(ends, default=0)


def _with_track(
    draft: dict[str, Any], track: dict[str, Any], replace: Callable[[Any], bool]
) -> dict[str, Any]:
    out = copy.deepcopy(draft)
    tracks = [t for t in out.get("t", []) if not replace(t)]
    tracks.append(track)
    tracks.sort(key=lambda t: int(t.get("tt", 0)))  # video, audio, text: the seeds' order
    out["t"] = tracks
    out["d"] = _length(out)
    return out


def generate_video(state: State, args: dict[str, Any]) -> Changes:
    """A generated clip: appended to the video track (tt 0) and listed in generated_media."""
    draft = copy.deepcopy(state["draft"])
    ms = int(args["duration"]) * 1000
    tracks = draft.setdefault("t", [])
    video = next((t for t in tracks if t.get("tt") == VIDEO), None)
    if video is None:
        video = {"tt": VIDEO, "sg": []}
        tracks.insert(0, video)
    start = max((_end(s) for s in video["sg"]), default=0)
    segment = {"st": start, "d": ms, "m": {"name": args["name"], "file_id": args["media_id"]}}
    video["sg"].append(segment)
    draft["d"] = _length(draft)
    media = {
        "media_id": args["media_id"],
        "type": "video",
        "name": args["name"],
        "prompt": args["prompt"],
        "duration": ms,
    }
    return {"draft": draft, "generated_media": [*state["generated_media"], media]}


def add_bgm(state: State, args: dict[str, Any]) -> Changes:
    """Background music: one audio track (tt 1, m.role bgm) spanning the timeline; replaces any."""
    draft = state["draft"]
    ms = _length(draft) or DEFAULT_MS
    track = {
        "tt": AUDIO,
        "m": {"role": "bgm", "name": args["name"]},
        "sg": [{"st": 0, "d": ms, "m": {"name": args["name"], "volume": args["volume"]}}],
    }
    return {"draft": _with_track(draft, track, lambda t: t.get("tt") == AUDIO)}


def add_title(state: State, args: dict[str, Any]) -> Changes:
    """A title: one text track (tt 7) at the start, 3 s or the timeline if shorter; replaces any."""
    draft = state["draft"]
    ms = min(int(args["duration"]) * 1000, _length(draft) or DEFAULT_MS)
    track = {"tt": TEXT, "sg": [{"st": 0, "d": ms, "m": {"text": args["text"]}}]}
    return {"draft": _with_track(draft, track, lambda t: t.get("tt") == TEXT)}


def trim_clip(state: State, args: dict[str, Any]) -> Changes:
    """Shorten the last video segment by `seconds` (never below 1 s); later tracks are clipped."""
    draft = copy.deepcopy(state["draft"])
    video = next(t for t in draft["t"] if t.get("tt") == VIDEO and t.get("sg"))
    seg = max(video["sg"], key=_end)
    seg["d"] = max(MIN_CLIP_MS, int(seg["d"]) - int(args["seconds"]) * 1000)
    end = _video_length(draft)
    for track in draft["t"]:
        if track.get("tt") == VIDEO:
            continue
        for s in track.get("sg", []):
            s["d"] = max(0, min(int(s["d"]), end - int(s.get("st", 0))))
    draft["d"] = _length(draft)
    return {"draft": draft}


def can_trim(draft: dict[str, Any], seconds: int) -> bool:
    """True when the video is long enough for `trim_clip` to shorten it."""
    video = [s for t in draft.get("t", []) if t.get("tt") == VIDEO for s in t.get("sg", [])]
    return bool(video) and int(max(video, key=_end)["d"]) > MIN_CLIP_MS and seconds > 0


def edit_draft(state: State, args: dict[str, Any]) -> Changes:
    """Any other edit: recorded in the draft's metadata (`m.edits` counts, `m.last_edit`)."""
    draft = copy.deepcopy(state["draft"])
    meta = draft.setdefault("m", {})
    meta["edits"] = int(meta.get("edits", 0)) + 1
    meta["last_edit"] = args["instruction"]
    return {"draft": draft}


TOOLS: dict[str, Callable[[State, dict[str, Any]], Changes]] = {
    "generate_video": generate_video,
    "add_bgm": add_bgm,
    "add_title": add_title,
    "trim_clip": trim_clip,
    "edit_draft": edit_draft,
}


def apply(tool: str, state: State, args: dict[str, Any]) -> Changes:
    """Run `tool` on `state`; the changed session fields."""
    return TOOLS[tool](state, args)


def video_seconds(draft: dict[str, Any]) -> float:
    """Length of the video track in seconds."""
    return _video_length(draft) / 1000
