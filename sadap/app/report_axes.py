"""What the CRM report's charts share: their colours, the matplotlib style (Agg backend, the
report's faces), count axes, long names wrapped between Thai words, and a figure as a PNG data
URI for the page. matplotlib and PyThaiNLP load only when a chart is drawn.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sadap.app.report_fonts import chart_fonts, need_extra

if TYPE_CHECKING:
    from pythainlp.util import Trie

COLOURS = {"now": "#0b5cad", "before": "#9db4cf", "pos": "#1b7a3a", "neg": "#b3261e", "neu": "#8a94a6", "q": "#d08c00",
           "economy": "#d08c00", "society": "#0b5cad", "environment": "#1b7a3a"}
NO_DATA = "ไม่มีข้อมูล"
LABEL_CHARS = 18


@contextmanager
def chart_style() -> Iterator[Any]:
    """matplotlib (Agg) with the report's faces and style, inside the block."""
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        need_extra("matplotlib")
    families = chart_fonts()
    # text.parse_math off: a name with $ signs is drawn as written, never read as TeX
    rc: Any = {"font.family": families, "font.size": 9, "text.parse_math": False, "axes.spines.top": False, "axes.spines.right": False}
    with matplotlib.rc_context(rc):
        yield matplotlib


def png_uri(fig: Any) -> str:
    """The figure as a PNG ``data:`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def count_axis(ax: Any, values: Sequence[float], axis: str = "y") -> None:
    """A count axis: whole numbers with thousands separators, from 0 (never 0.5 of a mention, nor
    a negative axis when the quarter is empty); an empty chart says so."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins="auto", integer=True))  # "auto": as many as the axis has room for
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    top = max(values, default=0)
    (ax.set_ylim if axis == "y" else ax.set_xlim)(0, top * 1.05 if top else 1)
    if not top:
        ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", color="#5b6475")


def wrap_label(name: str, width: int = LABEL_CHARS) -> str:
    """A long name on a chart's axis in lines of about ``width`` characters, broken between Thai
    words (Thai has no spaces to break at): a long name would otherwise squeeze the bars away."""
    if len(name) <= width:
        return name
    from pythainlp.tokenize import word_tokenize

    words: list[str] = []
    for token in word_tokenize(name, custom_dict=_words_in(name), engine="newmm", keep_whitespace=True):
        if words and words[-1][-1] in "([{“‘":  # an opening bracket stays with what it opens
            words[-1] += token
        else:
            words.append(token)
    lines = [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + len(word.rstrip()) > width:
            lines.append("")
        lines[-1] += word if lines[-1] else word.lstrip()
    return "\n".join(line.rstrip() for line in lines)


@lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], int]:
    """PyThaiNLP's word list as its default trie holds it (each word stripped), and its longest word."""
    from pythainlp.corpus import thai_words

    words = frozenset(w.strip() for w in thai_words())
    return words, max(map(len, words), default=0)


def _words_in(name: str) -> Trie:
    """The dictionary's words that occur in ``name``, as a trie. newmm asks its trie only for the
    words that begin where it is in the text, and those are all in here: it cuts ``name`` exactly
    as with the whole dictionary, whose trie (60,000 words) took over a second to build for a few
    chart labels."""
    from pythainlp.util import Trie

    words, longest = _dictionary()
    found = {name[i:j] for i in range(len(name)) for j in range(i + 1, min(len(name), i + longest) + 1)
             if name[i:j] in words}
    # An empty trie counts as none given (newmm would build the whole dictionary's): the empty
    # word is never found in a text, and keeps it from being empty.
    return Trie(found or {""})
