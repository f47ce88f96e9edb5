"""Pictures sent as photos: a horizontal bar chart of a campaign's sites (SPEC §12.2).

Drawn with matplotlib's Agg renderer on a Figure of its own (not pyplot's global state), so a
chart can be drawn in a worker thread while the bot goes on answering."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import IdentityTransform

WIDTH_PX = 1000
ROW_PX = 18
# The rows' names, in pixels: as large as a phone shows a message's text when zoomed in.
LABEL_PX = 11.5
MARGIN_PX = 140
DPI = 100
# Where the bars are, as parts of the picture's width.
LEFT, BARS_WIDTH = 0.32, 0.63
# Longer names are cut: a picture 1000 pixels wide has room for this much beside the bars.
LABEL_CHARS = 40
_BAR = "#8c2d2d"


def chart_size(bars: int) -> tuple[int, int]:
    """The picture's size in pixels for this many bars: one row each, so 200 sites stay
    readable (Telegram takes a photo whose sides add up to 10,000 at most)."""
    return WIDTH_PX, MARGIN_PX + ROW_PX * max(bars, 1)


def bar_chart(labels: Sequence[str], values: Sequence[int], title: str) -> bytes:
    """A PNG of one horizontal bar per label, in the order given (the first on top)."""
    width, height = chart_size(len(labels))
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((LEFT, MARGIN_PX / 2 / height, BARS_WIDTH, 1 - MARGIN_PX / height))
    rows = list(range(len(labels)))
    # One collection of thick lines draws as fast as one artist; 200 bar patches did not.
    axes.hlines(rows, 0, values, colors=_BAR, linewidth=ROW_PX * 0.7 * 72 / DPI)
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_xlim(0, max([*values, 1]) * 1.05)
    # Not tick labels nor a text per row: matplotlib draws text glyph by glyph in Python, which
    # took most of a second for 200 rows; their outlines as one filled shape take a tenth.
    axes.set_yticks([])
    figure.add_artist(PathPatch(_names(labels, values, height), transform=IdentityTransform(),
                                facecolor="black", edgecolor="none"))
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(_drawable(title), fontsize=12, loc="left")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _names(labels: Sequence[str], values: Sequence[int], height: int) -> Path:
    """Each row's name and number, right-aligned left of its bar, in pixels from the bottom."""
    right = (LEFT - 0.01 * BARS_WIDTH) * WIDTH_PX
    top = height - MARGIN_PX / 2
    rows = []
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        name = TextPath((0, 0), f"{_cut(_drawable(label))}  {value}", size=LABEL_PX,
                        prop=_PROPERTIES)
        # The baseline a third of the letters' size below the row's middle centres them.
        offset = (right - name.vertices[:, 0].max(initial=0),
                  top - (row + 0.5) * ROW_PX - LABEL_PX / 3)
        rows.append(Path(name.vertices + offset, name.codes))
    return Path.make_compound_path(*rows)


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1].rstrip() + "…"


_PROPERTIES = font_manager.FontProperties(fname=font_manager.findfont("DejaVu Sans"))


@cache
def _font() -> FT2Font:
    return FT2Font(_PROPERTIES.get_file())


@cache
def _has_glyph(char: str) -> bool:
    return _font().get_char_index(ord(char)) != 0


def _drawable(text: str) -> str:
    """The text without the characters the chart's font lacks (emoji): matplotlib would draw
    each as a box after searching every installed font for it, which took seconds for a
    campaign of names with candles in them."""
    return " ".join("".join(char for char in text if _has_glyph(char)).split())
