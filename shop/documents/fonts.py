"""The one typeface of every PDF the store prints: DejaVu Sans, embedded.

The PDF base fonts (Helvetica) know Latin-1 only, so "Łukasz Wiśniewski" printed
as "■ukasz Wi■niewski" and Inuktitut syllabics (ᐃᓄᒃᑎᑐᑦ) as boxes. DejaVu Sans
covers Latin Extended, Greek, Cyrillic and the Unified Canadian Aboriginal
Syllabics. It comes installed with matplotlib (a dependency kept for its fonts
alone, never imported): nothing is downloaded at run time. reportlab embeds the
subset of glyphs a document uses, so the PDF shows the same text everywhere.
"""

import importlib.util
from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


def font_folder() -> Path:
    """Where the installed matplotlib keeps its DejaVu fonts (found without importing it)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the DejaVu Sans font comes with matplotlib: pip install matplotlib")
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"


@cache
def register_fonts() -> None:
    """Register the regular and bold faces with reportlab, once per process, when the
    first document is drawn (reading the two font files takes a sixth of a second, which
    a start of the store that prints nothing need not pay)."""
    folder = font_folder()
    pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    # <b> in a paragraph picks the bold face; there is no italic in these documents
    for italic in (0, 1):
        addMapping(REGULAR, 0, italic, REGULAR)
        addMapping(REGULAR, 1, italic, BOLD)


def string_width(text: str, font: str, size: float) -> float:
    """reportlab's stringWidth, our fonts registered first: a document's text may be
    measured (cut, wrapped) before its canvas exists."""
    register_fonts()
    return stringWidth(text, font, size)


def document_canvas(*args, **kwargs) -> Canvas:
    """A canvas whose first font is ours: reportlab would otherwise list Helvetica, a font
    not embedded, in every page's resources."""
    register_fonts()
    kwargs.setdefault("initialFontName", REGULAR)
    return Canvas(*args, **kwargs)
