"""A 5×7 bitmap font for drawing a draft's title into the rendered video (no font files needed).

Upper-case letters, digits and common punctuation; lower case is drawn upper case; any other
character (Chinese, emoji) is drawn as a hollow box, so a title is always visible.
"""

from __future__ import annotations

WIDTH, HEIGHT = 5, 7

# Each glyph: seven rows of five columns, "#" = ink.
_GLYPHS: dict[str, str] = {
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "####. ....# ....# .###. ....# ....# ####.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": ".###. #.... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .####. ....# ....# .###.",
    " ": "..... ..... ..... ..... ..... ..... .....",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
    "'": "..#.. ..#.. .#... ..... ..... ..... .....",
    '"': ".#.#. .#.#. ..... ..... ..... ..... .....",
    "-": "..... ..... ..... .###. ..... ..... .....",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "/": "....# ....# ...#. ..#.. .#... #.... #....",
    "%": "##..# ##..# ...#. ..#.. .#... #..## #..##",
    "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
}
_BOX = "##### #...# #...# #...# #...# #...# #####"


def glyph(char: str) -> list[str]:
    """The seven rows of `char` (a hollow box for characters the font lacks)."""
    rows = _GLYPHS.get(char.upper(), _BOX).split()
    return [row[:WIDTH].ljust(WIDTH, ".") for row in rows]


def lines_for(text: str, max_chars: int, max_lines: int = 3) -> list[str]:
    """`text` wrapped at spaces into at most `max_lines` lines of at most `max_chars` characters."""
    words, lines, line = text.split(), [], ""
    for word in words:
        while len(word) > max_chars:  # a word longer than a line is cut
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:max_chars])
            word = word[max_chars:]
        candidate = f"{line} {word}".strip()
        if len(candidate) <= max_chars:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines[:max_lines]


def ink(text: str, width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Rectangles (x, y, w, h) of ink for `text` centred in a `width`×`height` picture."""
    cell = WIDTH + 1
    scale = max(1, min(4, (width * 9 // 10) // (cell * max(1, min(len(text), 12)))))
    max_chars = max(1, (width * 9 // 10) // (cell * scale))
    lines = lines_for(text, max_chars) or [""]
    line_h = (HEIGHT + 2) * scale
    top = (height - line_h * len(lines)) // 2
    rects = []
    for n, line in enumerate(lines):
        left = (width - len(line) * cell * scale) // 2
        for i, char in enumerate(line):
            for r, row in enumerate(glyph(char)):
                for c, bit in enumerate(row):
                    if bit == "#":
                        x = left + (i * cell + c) * scale
                        y = top + n * line_h + r * scale
                        rects.append((x, y, scale, scale))
    return rects
