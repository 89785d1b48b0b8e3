"""How much room a text takes on a PowerPoint slide, measured before it is drawn.

The deck leaves nothing to the viewer's automatic layout (it differs between programs and,
when crowded, drops labels or lets texts overlap): every box is placed from these measures.
Widths are DejaVu Sans's, wider than the theme's Calibri, so what fits here fits in PowerPoint
too. Sizes are in points; a slide's positions are in EMU (`points` converts).

Pure arithmetic: no drawing library.
"""

from __future__ import annotations

EMU_PER_PT = 12700
LINE_SPACING = 1.2  # a line's height over its type size
BOLD_WIDER = 1.11
MARGIN_OF_ERROR = 1.05  # rounding of the widths below, and of each program's text layout
ROUNDING = 0.01  # points: a width measured here and stored in whole EMU still fits
# DejaVu Sans's advance widths (em), the widest of the fonts standing in for Calibri.
_CHAR_WIDTHS = {
    0.25: "'",
    0.3: "ijlIJ .,·ìÌ",
    0.35: "f;:-/",
    0.4: "rt!()[]",
    0.45: '"',
    0.5: "sz–°_*",
    0.55: "cL?",
    0.6: "aekovxyFPTY«»àèéò",
    0.65: "bdghnpquEKS0123456789ùÈÉ€",
    0.7: "ABCRVXZÀ",
    0.75: "DGHNUÙ",
    0.8: "wOQ&Ò",
    0.85: "M+<>=#",
    0.95: "m%",
    1.0: "W—@",
}
CHAR_WIDTH = {char: width for width, chars in _CHAR_WIDTHS.items() for char in chars}
WIDE_CHAR = 0.7  # any other character


def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide `text` is at `size` points, in points (a generous estimate)."""
    em = sum(CHAR_WIDTH.get(char, WIDE_CHAR) for char in text)
    return em * size * MARGIN_OF_ERROR * (BOLD_WIDER if bold else 1.0)


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` points, as a text box breaks
    it; a word wider than `width` has a line to itself."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= width + ROUNDING:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def narrowest(text: str, size: float, lines: int) -> float:
    """The least width (points) in which `text` breaks into at most `lines` lines: the width
    of one of its runs of words."""
    words = text.split()
    runs = {
        text_width(" ".join(words[start:end]), size)
        for start in range(len(words))
        for end in range(start + 1, len(words) + 1)
    }
    return next((width for width in sorted(runs) if len(wrap(text, size, width)) <= lines), 0.0)


def widest_word(text: str, size: float) -> float:
    """The width (points) of the longest word: a box narrower than it breaks inside a word."""
    return max((text_width(word, size) for word in text.split()), default=0.0)


def line_height(size: float) -> float:
    """A line's height (points) at `size` points."""
    return size * LINE_SPACING


def points(emu: int) -> float:
    """A length on the slide (EMU) in points."""
    return emu / EMU_PER_PT
