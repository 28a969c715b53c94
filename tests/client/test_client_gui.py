"""GUI translation (client/_gui.py)."""

from __future__ import annotations

import pytest

from nemo_mock.client._gui import Action, translate


def test_click_export_becomes_what_to_say() -> None:
    """ "Done! Click the Export button to download your video." must not show "Click"."""
    out = translate("Done! Click the Export button to download your video.")
    assert "click" not in out.text.lower()
    assert out.text == 'Done!\nSay "export" to render and download it.'
    assert out.actions == (Action.EXPORT,)


def test_chinese_click_export_becomes_what_to_say() -> None:
    """ "点击" / "导出" → run the export workflow; the user never sees 点击."""
    out = translate("完成！点击导出按钮下载视频。")
    assert "点击" not in out.text
    assert out.text.startswith("完成！")
    assert "「导出」" in out.text
    assert out.actions == (Action.EXPORT,)


@pytest.mark.parametrize(
    ("text", "action"),
    [
        pytest.param("Open the audio panel to adjust the volume.", Action.STATE, id="open-panel"),
        pytest.param("打开素材库查看。", Action.STATE, id="open-zh"),
        pytest.param("Drag the title to 5s on the track.", Action.EDIT, id="drag"),
        pytest.param("Drop your clip onto the timeline.", Action.EDIT, id="drop"),
        pytest.param("拖拽字幕到第5秒。", Action.EDIT, id="drag-zh"),
        pytest.param("Preview it in the timeline.", Action.STATE, id="preview-timeline"),
        pytest.param("Click Upload to add more clips.", Action.UPLOAD, id="click-upload"),
        pytest.param("Click Apply to confirm.", Action.ACT, id="click-other"),
    ],
)
def test_gui_instruction_maps_to_an_action(text: str, action: Action) -> None:
    """click → act via API, open → state, drag/drop → edit via SSE, preview → track summary."""
    out = translate(text)
    assert out.actions == (action,)
    for word in ("click", "drag", "drop", "open", "点击", "拖拽", "打开"):
        assert word not in out.text.lower()


def test_content_is_kept_and_only_the_gui_clause_removed() -> None:
    """Content kept, GUI actions stripped."""
    out = translate("I added lo-fi music at 35% volume, then click Export to download it.")
    assert out.text.startswith("I added lo-fi music at 35% volume.")
    assert "click" not in out.text.lower()


def test_text_without_gui_instructions_is_unchanged() -> None:
    """Text events go to the user unchanged when they give no GUI instruction."""
    text = "I made a 10-second clip of the city at night.\nIt has three shots."
    assert translate(text).text == text
    assert translate(text).actions == ()


def test_each_hint_is_shown_once() -> None:
    """Two export instructions give one hint."""
    out = translate("Click Export. Then click the Export button again.")
    assert out.text.count('Say "export"') == 1
