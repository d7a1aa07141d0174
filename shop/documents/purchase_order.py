"""A purchase order as the supplier receives it, drawn from the stored order.

It names us (the store's settings: who orders and where to deliver), the
supplier and its contact, the order's number and dates, and its lines with
SKU, description, quantity, unit cost (as stored, in the order's currency)
and line total, then the total. Amounts are integer minor units: a line total
is quantity x unit cost, exact, and the total their sum.
"""

from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from shop.documents.fonts import document_canvas
from shop.documents.layout import (
    BOLD,
    GREY,
    REGULAR,
    RULE,
    Block,
    Column,
    Formats,
    Table,
    clean,
    draw_blocks,
    fit,
    lines_of,
    paginate,
    spacer,
    text_block,
    wrap,
)
from shop.money import format_money

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 40.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
HEADER_HEIGHT = 28.0
FOOTER_HEIGHT = 24.0


def render_purchase_order(po, *, settings, locale: str, timezone: str = "UTC") -> bytes:
    """The purchase order as PDF bytes; locale writes its money and dates."""
    formats = Formats(locale, timezone)

    def money(minor: int) -> str:
        return clean(format_money(minor, po.currency, locale))

    store = clean(settings.legal_name)
    blocks: list[Block] = [
        text_block([f"Purchase order {clean(po.number)}"], font=BOLD, size=20),
        spacer(6),
    ]
    facts = [
        ("Date", formats.date(po.sent_at or po.created_at)),
        ("Expected", formats.date(po.expected_date) or "to be confirmed"),
        ("Currency", clean(po.currency)),
    ]
    blocks.append(_facts(facts))
    blocks.append(spacer(10))

    supplier = po.supplier
    to_lines = [clean(supplier.name)]
    to_lines += [clean(v) for v in (supplier.contact_name, supplier.email, supplier.phone) if v]
    ours = [store] + [clean(line) for line in lines_of(settings.address)]
    ours += [clean(v) for v in (settings.email, settings.phone) if v]
    blocks.append(_two_columns(("SUPPLIER", to_lines), ("BUYER AND DELIVER TO", ours)))
    blocks.append(spacer(14))

    table = Table(
        [
            Column("SKU", 90),
            Column("Description", CONTENT_WIDTH - 90 - 40 - 80 - 85 - 75),
            Column("Qty", 40, align="right"),
            Column("Unit cost", 80, align="right"),
            Column("Line total", 85, align="right"),
            Column("Expected", 75, align="right"),
        ]
    )
    total = 0
    for line in po.lines:
        line_total = line.quantity * line.unit_cost
        total += line_total
        expected = line.expected_date or po.expected_date
        table.add(
            [clean(line.variant.sku), clean(line.variant.full_name), str(line.quantity),
             money(line.unit_cost), money(line_total), formats.date(expected)]
        )  # fmt: skip
    blocks += table.blocks
    blocks.append(_total(f"Total {clean(po.currency)}", money(total)))
    if po.note.strip():
        blocks.append(spacer(12))
        blocks.append(text_block(["Note"], font=BOLD, size=10))
        for paragraph in lines_of(po.note):
            blocks.append(text_block(wrap(paragraph, REGULAR, 9, CONTENT_WIDTH, max_lines=20)))

    buffer = BytesIO()
    canvas = document_canvas(buffer, pagesize=LETTER)
    canvas.setTitle(f"Purchase order {po.number}")
    canvas.setAuthor(store)
    room = PAGE_HEIGHT - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT
    pages = paginate(blocks, room, room)
    for number, page in enumerate(pages, start=1):
        top = PAGE_HEIGHT - MARGIN
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN, top - 10, fit(store, BOLD, 10, 300))
        canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 10, f"Purchase order {clean(po.number)}")
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - 18, PAGE_WIDTH - MARGIN, top - 18)
        draw_blocks(canvas, page, MARGIN, top - HEADER_HEIGHT)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, MARGIN, f"Please quote {clean(po.number)} on every delivery.")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, f"Page {number} of {len(pages)}")
        canvas.setFillColor(colors.black)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _facts(facts: list[tuple[str, str]]) -> Block:
    def draw(canvas: Canvas, x: float, y: float) -> None:
        for n, (label, value) in enumerate(facts):
            canvas.setFont(REGULAR, 9)
            canvas.setFillColor(GREY)
            canvas.drawString(x, y - 10 - n * 13, label)
            canvas.setFillColor(colors.black)
            canvas.setFont(REGULAR, 10)
            canvas.drawString(x + 70, y - 10 - n * 13, value)

    return Block(len(facts) * 13 + 2, draw)


def _two_columns(left: tuple[str, list[str]], right: tuple[str, list[str]]) -> Block:
    half = CONTENT_WIDTH / 2
    height = 14 + max(len(left[1]), len(right[1])) * 12.5

    def draw(canvas: Canvas, x: float, y: float) -> None:
        for offset, (title, lines) in ((0, left), (half, right)):
            canvas.setFont(REGULAR, 8)
            canvas.setFillColor(GREY)
            canvas.drawString(x + offset, y - 8, title)
            canvas.setFillColor(colors.black)
            for n, line in enumerate(lines):
                font = BOLD if n == 0 else REGULAR
                canvas.setFont(font, 10)
                canvas.drawString(x + offset, y - 21 - n * 12.5, fit(line, font, 10, half - 10))

    return Block(height, draw)


def _total(label: str, amount: str) -> Block:
    def draw(canvas: Canvas, x: float, y: float) -> None:
        right = x + CONTENT_WIDTH
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(0.8)
        canvas.line(right - 240, y - 2, right, y - 2)
        canvas.setFont(BOLD, 11)
        canvas.drawRightString(right - 4 - 75 - 85, y - 16, label)
        canvas.drawRightString(right - 4 - 75, y - 16, amount)

    return Block(24, draw)
