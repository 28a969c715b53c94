"""The sequence diagram's geometry, and its one text element (escaped, with an optional tooltip)."""

from __future__ import annotations

from html import escape

WIDTH = 980
X_CLIENT, X_SERVER = 210, 600
X_RAIL = X_CLIENT + 26
X_NOTE = X_SERVER + 14
TOP = 58
STEP_ROW = 34.0  # pixels a step header takes (title line, then what the client printed)


def text(x: float, y: float, words: str, cls: str, anchor: str = "start", title: str = "") -> str:
    """An SVG `<text>` at (x, y) with class `cls`; `title` becomes its tooltip."""
    tip = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<text x="{x:.0f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">'
        f"{tip}{escape(words)}</text>"
    )
