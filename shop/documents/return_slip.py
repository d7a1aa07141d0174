"""The return slip a customer prints and puts in the parcel, drawn from the stored request.

It names the store and the address to send the parcel to (the store's settings), the
RMA number in text and as a Code 128 barcode the receiving bench scans, the order, the
customer, the lines asked back with their reasons, and what to do. Like the packing slip
it is drawn straight on the canvas from blocks cut into pages (shop.documents.layout).
"""

from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER

from shop.documents.fonts import document_canvas
from shop.documents.layout import (
    BOLD,
    GREY,
    REGULAR,
    RULE,
    Column,
    Formats,
    Table,
    clean,
    code128,
    draw_blocks,
    fit,
    lines_of,
    paginate,
    section_heading,
    spacer,
    text_block,
    wrap,
)

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 40.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FOOTER_HEIGHT = 28.0
HEADER_HEIGHT = 250.0
LATER_HEADER_HEIGHT = 34.0
BARCODE_WIDTH = 230.0
BARCODE_HEIGHT = 48.0

INSTRUCTIONS = [
    "1. Pack the items listed above with their tags and accessories, in their original "
    "packaging if you still have it.",
    "2. Put this slip in the parcel, or write the RMA number clearly on the outside.",
    "3. Send the parcel to the address above. Keep the carrier's receipt and tracking "
    "number until your refund arrives.",
    "4. When the parcel arrives we check each item and refund you through the card you "
    "paid with. We email you the credit note.",
]


def render_return_slip(request, *, settings, locale: str, timezone: str = "UTC") -> bytes:
    """The return slip of one authorised return request (its order and lines loaded)."""
    formats = Formats(locale, timezone)
    buffer = BytesIO()
    canvas = document_canvas(buffer, pagesize=LETTER)
    canvas.setTitle(f"Return slip {request.number}")
    canvas.setAuthor(clean(settings.legal_name))
    _Slip(canvas, request, settings, formats).draw()
    canvas.save()
    return buffer.getvalue()


class _Slip:
    def __init__(self, canvas, request, settings, formats: Formats):
        self.canvas = canvas
        self.request = request
        self.order = request.order
        self.formats = formats
        self.store_name = clean(settings.legal_name)
        self.store_address = [clean(line) for line in lines_of(settings.address)]
        contact = [clean(settings.email), clean(settings.phone)]
        self.contact = "  ".join(c for c in contact if c)

    def draw(self) -> None:
        body_top = PAGE_HEIGHT - MARGIN
        first_room = body_top - HEADER_HEIGHT - MARGIN - FOOTER_HEIGHT
        later_room = body_top - LATER_HEADER_HEIGHT - MARGIN - FOOTER_HEIGHT
        pages = paginate(self._blocks(), first_room, later_room)
        for number, page in enumerate(pages, start=1):
            if number == 1:
                self._first_header()
                top = body_top - HEADER_HEIGHT
            else:
                self._later_header()
                top = body_top - LATER_HEADER_HEIGHT
            draw_blocks(self.canvas, page, MARGIN, top)
            self._footer(number, len(pages))
            self.canvas.showPage()

    def _first_header(self) -> None:
        canvas, request, order = self.canvas, self.request, self.order
        top = PAGE_HEIGHT - MARGIN
        right = PAGE_WIDTH - MARGIN
        canvas.setFont(BOLD, 15)
        canvas.drawString(MARGIN, top - 15, fit(self.store_name, BOLD, 15, 280))
        canvas.setFont(BOLD, 22)
        canvas.drawString(MARGIN, top - 45, "Return slip")

        barcode = code128(
            request.number, max_width=BARCODE_WIDTH, bar_height=BARCODE_HEIGHT, bar_width=1.3
        )
        barcode.drawOn(canvas, right - barcode.width, top - BARCODE_HEIGHT)
        canvas.setFont(BOLD, 13)
        canvas.drawCentredString(
            right - barcode.width / 2, top - BARCODE_HEIGHT - 16, f"RMA {clean(request.number)}"
        )

        # Where the parcel goes: large, the one thing the customer copies onto the box.
        y = top - 95
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, y, "SEND THE PARCEL TO")
        canvas.setFillColor(colors.black)
        canvas.setFont(BOLD, 12)
        canvas.drawString(MARGIN, y - 16, fit(self.store_name, BOLD, 12, 270))
        canvas.setFont(REGULAR, 11)
        canvas.drawString(MARGIN, y - 30, fit(f"Returns, RMA {request.number}", REGULAR, 11, 270))
        for n, line in enumerate(self.store_address[:6]):
            canvas.drawString(MARGIN, y - 44 - n * 13, fit(line, REGULAR, 11, 270))

        facts_x = MARGIN + CONTENT_WIDTH * 0.55
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(facts_x, y, "RETURN")
        canvas.setFillColor(colors.black)
        customer = self.formats.address(order)
        facts = [
            ("RMA", clean(request.number)),
            ("Order", clean(order.number)),
            ("Asked", self.formats.date(request.created_at)),
            ("Authorised", self.formats.date(request.decided_at)),
            ("From", customer[0] if customer else ""),
            ("Email", clean(order.email)),
        ]
        for n, (label, value) in enumerate(facts):
            baseline = y - 16 - n * 13
            canvas.setFont(REGULAR, 9)
            canvas.setFillColor(GREY)
            canvas.drawString(facts_x, baseline, label)
            canvas.setFillColor(colors.black)
            canvas.setFont(BOLD if label in ("RMA", "Order") else REGULAR, 10)
            canvas.drawString(facts_x + 62, baseline, fit(value, REGULAR, 10, 150))

        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - HEADER_HEIGHT + 12, right, top - HEADER_HEIGHT + 12)

    def _later_header(self) -> None:
        canvas = self.canvas
        top = PAGE_HEIGHT - MARGIN
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN, top - 10, fit(self.store_name, BOLD, 10, 250))
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, top - 10, f"Return slip {clean(self.request.number)} (continued)"
        )
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - 20, PAGE_WIDTH - MARGIN, top - 20)

    def _footer(self, number: int, total: int) -> None:
        canvas = self.canvas
        y = MARGIN
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y + 14, PAGE_WIDTH - MARGIN, y + 14)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        if self.contact:
            canvas.drawString(MARGIN, y + 2, f"Questions? {self.contact}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y + 2, f"Page {number} of {total}")
        canvas.setFillColor(colors.black)

    def _blocks(self) -> list:
        units = sum(line.quantity for line in self.request.lines)
        blocks = [
            section_heading(
                "Items to send back", CONTENT_WIDTH,
                note=f"{units} unit{'s' if units != 1 else ''}",
            )
        ]  # fmt: skip
        table = Table(
            [
                Column("SKU", 100),
                Column("Item", CONTENT_WIDTH - 310),
                Column("Qty", 40, align="right"),
                Column("Reason", 170),
            ]
        )
        for line in self.request.lines:
            ordered = line.order_line
            table.add([clean(ordered.sku), clean(ordered.name), str(line.quantity),
                       clean(line.reason_label)])  # fmt: skip
        blocks += table.blocks
        if self.request.customer_note:
            blocks.append(spacer(10))
            blocks.append(section_heading("Your note", CONTENT_WIDTH))
            note = wrap(self.request.customer_note, REGULAR, 9, CONTENT_WIDTH, max_lines=8)
            blocks.append(text_block(note))
        blocks.append(spacer(14))
        blocks.append(section_heading("What to do", CONTENT_WIDTH))
        for step in INSTRUCTIONS:
            blocks.append(text_block(wrap(step, REGULAR, 9.5, CONTENT_WIDTH, 3), size=9.5))
            blocks.append(spacer(3))
        return blocks
