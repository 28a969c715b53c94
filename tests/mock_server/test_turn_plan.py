"""Turn scripts and tools (mock_server/turn_plan.py, turn_tools.py): pure functions."""

from __future__ import annotations

import copy
import math
import random
from typing import Any

import pytest

from nemo_mock import contracts
from nemo_mock.server import turn_tools
from nemo_mock.server.turn_intent import Intent
from nemo_mock.server.turn_plan import chunks, decide_silent, duration_range, plan

CLIP = {
    "t": [{"tt": 0, "sg": [{"st": 0, "d": 10_000, "m": {"name": "city timelapse"}}]}],
    "d": 10_000,
}


def state(draft: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"draft": copy.deepcopy(draft or contracts.empty_draft()), "generated_media": []}


def ids() -> Any:
    counter = iter(range(1000))
    return lambda kind: f"{kind}-{next(counter)}"


def make(kind: str, action: str, message: str, draft: Any = None, **kw: Any) -> Any:
    options = {"silent": False, "streaming": False, **kw}
    return plan(
        Intent(kind, action),
        message,
        options.pop("language", "en"),
        state(draft),
        random.Random(7),
        new_id=ids(),
        **options,
    )


def test_silent_close_rate_over_1000_seeded_edit_turns_is_within_binomial_bounds() -> None:
    """'an edit turn closes without any text part with probability silent_close_rate (0.3)'."""
    n, p = 1000, 0.3
    silent = sum(decide_silent(42, f"session-{i % 50}", i // 50 + 1, p)[0] for i in range(n))
    sigma = math.sqrt(n * p * (1 - p))
    assert abs(silent - n * p) <= 3 * sigma, silent


def test_silent_close_pattern_repeats_under_the_same_seed() -> None:
    """'drawn per (seed, session, turn)': a rerun with the same seed gives the same pattern."""
    first = [decide_silent(7, "s", i, 0.3)[0] for i in range(300)]
    again = [decide_silent(7, "s", i, 0.3)[0] for i in range(300)]
    other = [decide_silent(8, "s", i, 0.3)[0] for i in range(300)]
    assert first == again and first != other


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_silent_close_rate_extremes(rate: float) -> None:
    """Rate 0 never closes silently; rate 1 always does."""
    assert {decide_silent(1, "s", i, rate)[0] for i in range(100)} == {rate == 1.0}


@pytest.mark.parametrize(
    ("kind", "action", "message"),
    [
        pytest.param("text", "answer", "hi", id="text"),
        pytest.param("edit", "bgm", "add music", id="edit"),
        pytest.param("generation", "generate", "generate a video", id="generation"),
    ],
)
def test_duration_is_drawn_within_the_documented_range(
    kind: str, action: str, message: str
) -> None:
    """'text answer (5-15 s virtual), edit (10-30 s), generation (100-300 s)'."""
    lo, hi = duration_range(kind)
    p = make(kind, action, message)
    assert lo <= p.duration <= hi and p.decisions["duration"] == p.duration
    assert p.steps[-1].at == p.duration and p.steps[-1].kind == "text"


def test_generation_calls_generate_then_bgm_then_title() -> None:
    """Generation: generate_video, then the two-stage post-production (BGM, then a title) [v1.9]."""
    p = make("generation", "generate", "generate a 15-second video")
    tools = [(s.kind, s.tool) for s in p.steps if s.kind in ("call", "result")]
    assert tools == [
        ("call", "generate_video"),
        ("result", "generate_video"),
        ("call", "add_bgm"),
        ("result", "add_bgm"),
        ("call", "add_title"),
        ("result", "add_title"),
    ]
    assert [s.at for s in p.steps] == sorted(s.at for s in p.steps)


def test_generation_tools_build_video_bgm_and_title_tracks() -> None:
    """Generation: video track (tt 0) + generated media, BGM (tt 1, m.volume), title (tt 7)."""
    p = make("generation", "generate", 'generate a 15-second video titled "Hello"')
    s = state()
    for step in (x for x in p.steps if x.kind == "result"):
        s.update(turn_tools.apply(step.tool, s, step.args))
    tracks = {t["tt"]: t for t in s["draft"]["t"]}
    assert sorted(tracks) == [0, 1, 7] and s["draft"]["d"] == 15_000
    assert 0 < tracks[1]["sg"][0]["m"]["volume"] <= 1
    assert tracks[7]["sg"][0]["m"]["text"] == "Hello"
    assert len(s["generated_media"]) == 1 and contracts.has_content(s["draft"])


@pytest.mark.parametrize(
    ("action", "message", "tool"),
    [
        pytest.param("trim", "trim 3 seconds", "trim_clip", id="trim"),
        pytest.param("bgm", "add music", "add_bgm", id="bgm"),
        pytest.param("title", "add title", "add_title", id="title"),
        pytest.param("edit", "add a transition", "edit_draft", id="other"),
    ],
)
@pytest.mark.parametrize("draft", [pytest.param(CLIP, id="clip"), pytest.param(None, id="empty")])
def test_every_edit_changes_the_draft(action: str, message: str, tool: str, draft: Any) -> None:
    """'every edit turn MUST change the draft' (so a silent close is detectable via state)."""
    p = make("edit", action, message, draft)
    (result,) = [s for s in p.steps if s.kind == "result"]
    before = state(draft)
    after = turn_tools.apply(result.tool, before, result.args)
    assert after["draft"] != before["draft"]
    assert result.tool == tool or (
        draft is None and action == "trim" and result.tool == "edit_draft"
    )


def test_trim_shortens_the_segment() -> None:
    """'trim shortens a segment'."""
    after = turn_tools.trim_clip(state(CLIP), {"seconds": 3})["draft"]
    assert after["t"][0]["sg"][0]["d"] == 7_000 and after["d"] == 7_000


def test_tools_do_not_mutate_their_input() -> None:
    """Tools return new drafts; the session changes only through world.change."""
    s = state(CLIP)
    frozen = copy.deepcopy(s)
    for tool, args in [
        ("trim_clip", {"seconds": 2}),
        ("add_bgm", {"name": "x", "volume": 0.5}),
        ("add_title", {"text": "t", "duration": 3}),
        ("edit_draft", {"instruction": "i"}),
    ]:
        turn_tools.apply(tool, s, args)
    assert s == frozen


def test_silent_plan_has_no_text() -> None:
    """A silent close sends no text part; the tool call and result still happen."""
    p = make("edit", "bgm", "add music", silent=True)
    assert p.final_text is None and {s.kind for s in p.steps} == {"call", "result"}


def test_streaming_plan_sends_partials_that_join_to_the_final_text() -> None:
    """'partial: true text chunks when asked for streaming (then a final non-partial event)'."""
    p = make("text", "answer", "hi", streaming=True)
    partials = [s.text for s in p.steps if s.kind == "partial"]
    assert len(partials) >= 2 and "".join(partials) == p.final_text == p.steps[-1].text


@pytest.mark.parametrize(
    ("language", "needle"),
    [
        pytest.param("en", "Click the Export button", id="en"),
        pytest.param("zh-CN", "点击导出", id="zh"),
    ],
)
def test_final_text_speaks_as_if_a_gui_existed_in_the_session_language(
    language: str, needle: str
) -> None:
    """'Final texts talk as if a GUI existed ... in the session's language'."""
    for kind, action, message in [
        ("text", "answer", "hi"),
        ("edit", "bgm", "music"),
        ("generation", "generate", "generate"),
    ]:
        p = make(kind, action, message, language=language)
        assert p.final_text is not None and needle.lower() in p.final_text.lower()


@pytest.mark.parametrize(
    "whole", ["", "a", "one two three four five", "点击导出按钮下载视频", "x" * 50]
)
def test_chunks_join_back(whole: str) -> None:
    """Streamed chunks concatenate to the full text."""
    assert "".join(chunks(whole)) == whole and len(chunks(whole)) <= 3
