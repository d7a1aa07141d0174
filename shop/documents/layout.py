"""What the warehouse documents share: text drawn straight on a reportlab canvas.

Packing slips are printed by the thousand, so these documents do not use
platypus: each one is a list of blocks (a line of text, a table row, a
section heading) of known height, cut into pages by paginate(), then drawn.
Cutting first lets each page say "Page x of y" of its own document, even when
many documents share one PDF, and lets a table repeat its headings on the
next page.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from shop.documents.fonts import BOLD, REGULAR, string_width

GREY = colors.Color(0.4, 0.4, 0.4)
RULE = colors.Color(0.75, 0.75, 0.75)
SHADE = colors.Color(0.93, 0.93, 0.93)

# Babel's narrow and thin spaces, written as the plain spaces every reader copies alike.
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": " ", "\u200b": ""})

Draw = Callable[[Canvas, float, float], None]  # (canvas, left, top of the block)


def clean(text: object) -> str:
    return str(text if text is not None else "").translate(_SPACES)


def lines_of(text: str | None) -> list[str]:
    """A stored multi-line text (an address) as its non-blank lines."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def fit(text: str, font: str, size: float, width: float) -> str:
    """text cut with an ellipsis so it fits in width."""
    if string_width(text, font, size) <= width:
        return text
    while text and string_width(text + "...", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "..."


def wrap(text: str, font: str, size: float, width: float, max_lines: int = 4) -> list[str]:
    """text in lines no wider than width; at most max_lines, the last one cut short."""
    text = clean(text)
    if string_width(text, font, size) <= width:  # most cells: one line, measured once
        return [text]
    lines = simpleSplit(text, font, size, width) or [""]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [fit(" ".join(lines[max_lines - 1 :]), font, size, width)]
    return [fit(line, font, size, width) for line in lines]


# --- formatting -------------------------------------------------------------------------


class Formats:
    """Dates, numbers and country names the way the store's locale writes them."""

    def __init__(self, locale: str, timezone: str = "UTC"):
        self.locale = locale
        self.zone = ZoneInfo(timezone)
        self._territories = Locale.parse(locale).territories

    def date(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        return clean(format_date(value, "medium", locale=self.locale))

    def decimal(self, value: Decimal, pattern: str) -> str:
        return clean(format_decimal(value, pattern, locale=self.locale))

    def plural(self, count: int, singular: str, many: str | None = None) -> str:
        """A count and its noun, as shop.formatting.plural writes them ("1 order", "2
        orders"); here, because the documents are handed their locale, not the app's."""
        form = Locale.parse(self.locale).plural_form(abs(count))
        noun = singular if form == "one" else (many or singular + "s")
        return f"{self.decimal(Decimal(count), '#,##0')} {noun}"

    def kilograms(self, grams: int) -> str:
        return f"{self.decimal(Decimal(grams) / 1000, '#,##0.00')} kg"

    def centimetres(self, *millimetres: int) -> str:
        sizes = [self.decimal(Decimal(mm) / 10, "#,##0.#") for mm in millimetres]
        return " x ".join(sizes) + " cm"

    def country(self, code: str) -> str:
        return self._territories.get(code, code)

    def address(self, order) -> list[str]:
        """The order's ship-to snapshot, one line each, the country spelled out."""
        parts = [order.ship_full_name, order.ship_company, order.ship_line1, order.ship_line2]
        parts.append(f"{order.ship_city} {order.ship_province}  {order.ship_postal_code}")
        parts.append(self.country(order.ship_country))
        return [clean(p) for p in parts if p]


# --- blocks and pages ---------------------------------------------------------------------


@dataclass
class Block:
    """Something of a fixed height in the flow of a page.

    keep_with_next keeps it on the page of the block after it (a heading);
    heading, for a table row, is the block to repeat above it on a new page.
    """

    height: float
    draw: Draw
    keep_with_next: bool = False
    heading: "Block | None" = None


def spacer(height: float) -> Block:
    return Block(height, lambda canvas, x, y: None)


def paginate(blocks: Sequence[Block], first: float, others: float) -> list[list[Block]]:
    """Blocks cut into pages: first is the room on the first page, others on the next ones."""
    pages: list[list[Block]] = [[]]
    room = first
    used = 0.0
    i = 0
    while i < len(blocks):
        block = blocks[i]
        need = block.height
        j = i
        while blocks[j].keep_with_next and j + 1 < len(blocks):
            j += 1
            need += blocks[j].height
        if used + need > room and pages[-1] and used > 0:
            pages.append([])
            room, used = others, 0.0
            if block.heading is not None and block.heading is not block:
                pages[-1].append(block.heading)
                used += block.heading.height
        for k in range(i, j + 1):
            if pages[-1] and used + blocks[k].height > room:
                pages.append([])
                room, used = others, 0.0
                if blocks[k].heading is not None:
                    pages[-1].append(blocks[k].heading)
                    used += blocks[k].heading.height
            pages[-1].append(blocks[k])
            used += blocks[k].height
        i = j + 1
    return pages


def draw_blocks(canvas: Canvas, blocks: Iterable[Block], left: float, top: float) -> None:
    y = top
    for block in blocks:
        block.draw(canvas, left, y)
        y -= block.height


# --- text and tables ----------------------------------------------------------------------


def text_block(
    lines: Sequence[str], *, font: str = REGULAR, size: float = 9, leading: float | None = None,
    color=colors.black,
) -> Block:  # fmt: skip
    """Lines of text, each on its own line (already short enough)."""
    leading = leading or size * 1.25

    def draw(canvas: Canvas, x: float, y: float) -> None:
        canvas.setFont(font, size)
        canvas.setFillColor(color)
        for n, line in enumerate(lines):
            canvas.drawString(x, y - size - n * leading, line)
        canvas.setFillColor(colors.black)

    return Block(leading * len(lines) + (size * 1.25 - size) / 2, draw)


def section_heading(title: str, width: float, *, note: str = "", size: float = 11) -> Block:
    """A shaded bar with a title: where a section of the document begins."""
    height = size + 9

    def draw(canvas: Canvas, x: float, y: float) -> None:
        canvas.setFillColor(SHADE)
        canvas.rect(x, y - height + 2, width, height - 2, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        canvas.setFont(BOLD, size)
        canvas.drawString(x + 5, y - size - 3, title)
        if note:
            canvas.setFont(REGULAR, 8.5)
            canvas.setFillColor(GREY)
            canvas.drawRightString(x + width - 5, y - size - 3, note)
            canvas.setFillColor(colors.black)

    return Block(height + 4, draw, keep_with_next=True)


@dataclass
class Column:
    title: str
    width: float
    align: str = "left"  # or "right"
    font: str = REGULAR
    max_lines: int = 3


@dataclass
class Table:
    """A table as blocks: a heading row, then one block per row (wrapped to its height)."""

    columns: Sequence[Column]
    size: float = 9
    padding: float = 4
    blocks: list[Block] = field(default_factory=list)

    def __post_init__(self):
        self.header = self._row([c.title for c in self.columns], heading=True)
        self.header.keep_with_next = True
        self.blocks.append(self.header)

    @property
    def width(self) -> float:
        return sum(c.width for c in self.columns)

    def add(self, values: Sequence[str]) -> None:
        row = self._row(values)
        row.heading = self.header
        self.blocks.append(row)

    def _row(self, values: Sequence[str], *, heading: bool = False) -> Block:
        size, pad = self.size, self.padding
        leading = size * 1.22
        cells = []
        for column, value in zip(self.columns, values, strict=True):
            font = BOLD if heading else column.font
            room = column.width - 2 * pad
            cells.append((column, font, wrap(value, font, size, room, column.max_lines)))
        height = max(len(lines) for _, _, lines in cells) * leading + 2 * pad - (leading - size)
        width = self.width

        def draw(canvas: Canvas, x: float, y: float) -> None:
            if heading:
                canvas.setFillColor(SHADE)
                canvas.rect(x, y - height, width, height, stroke=0, fill=1)
                canvas.setFillColor(colors.black)
            left = x
            for column, font, lines in cells:
                canvas.setFont(font, size)
                for n, line in enumerate(lines):
                    baseline = y - pad - size + 1.5 - n * leading
                    if column.align == "right":
                        canvas.drawRightString(left + column.width - pad, baseline, line)
                    else:
                        canvas.drawString(left + pad, baseline, line)
                left += column.width
            canvas.setStrokeColor(colors.black if heading else RULE)
            canvas.setLineWidth(0.8 if heading else 0.3)
            canvas.line(x, y - height, x + width, y - height)

        return Block(height, draw)


# --- barcodes ---------------------------------------------------------------------------


def code128(value: str, *, max_width: float, bar_height: float, bar_width: float) -> Code128:
    """A Code 128 barcode of value, its narrowest bar bar_width or less so it fits max_width.

    The quiet zones (ten narrow bars each side) are left blank, not drawn: the
    caller keeps that room free around the barcode.
    """
    barcode = Code128(value, barHeight=bar_height, barWidth=bar_width, quiet=0)
    if barcode.width > max_width:
        barcode = Code128(
            value, barHeight=bar_height, barWidth=bar_width * max_width / barcode.width, quiet=0
        )
    return barcode


def quiet_zone(barcode: Code128) -> float:
    return 10 * barcode.barWidth
