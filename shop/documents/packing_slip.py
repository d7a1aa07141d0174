"""The packing slip that goes in the box, drawn from the stored order and shipments.

A slip names the store and the customer, the order (in text and as a Code 128
barcode the packing bench can scan) and the shipment, then three sections:

- "In this parcel": the shipment's lines, with quantities;
- "Still to come": every unit of the order that has not left and is not in
  this parcel: backordered units with their expected ship date (the date the
  order line stores, the one the customer was told), and units in stock that
  travel in another parcel;
- "Already sent": the lines of the order's earlier shipments, with their
  shipment number and date.

Stock is allocated when the order is placed and consumed when a shipment
leaves, so until this shipment is confirmed its units are still counted in
the order line's quantity_allocated. No price is printed and nothing is
recomputed beyond these counts, and nothing is read from the database here: the
caller (shop.fulfilment.printing) loads the shipments and hands them over. Many slips
can go into one PDF (a batch for the packing bench); each slip begins on a new page
and counts its own pages.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
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
)

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 40.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FOOTER_HEIGHT = 28.0
LATER_HEADER_HEIGHT = 34.0
BARCODE_WIDTH = 220.0  # the most the order's barcode may take, quiet zones not counted
BARCODE_HEIGHT = 42.0
SEPARATELY = "in stock, sent in another parcel"


@dataclass(frozen=True)
class SlipLine:
    sku: str
    name: str
    quantity: int
    note: str = ""  # "expected <date>", or which earlier shipment took it


@dataclass(frozen=True)
class SlipContents:
    in_parcel: list[SlipLine]
    still_to_come: list[SlipLine]
    already_sent: list[SlipLine]


def render_packing_slip(shipment, *, settings, locale: str, order_shipments, **options) -> bytes:
    """The packing slip of one shipment as PDF bytes (options: see render_packing_slips)."""
    return render_packing_slips(
        [shipment], settings=settings, locale=locale, order_shipments=order_shipments, **options
    )


def render_packing_slips(
    shipments: Iterable,
    *,
    settings,
    locale: str,
    timezone: str = "UTC",
    order_shipments: Mapping[int, Sequence],
) -> bytes:
    """One PDF with a packing slip per shipment, in the order given.

    settings is the store's (StoreSettings: name, address, email, phone);
    locale and timezone decide how dates are written. order_shipments maps an
    order id to all of that order's shipments (for "Already sent":
    shop.fulfilment.printing.shipments_by_order).
    """
    shipments = list(shipments)
    formats = Formats(locale, timezone)
    buffer = BytesIO()
    canvas = document_canvas(buffer, pagesize=LETTER)
    canvas.setTitle(
        f"Packing slip {shipments[0].number}" if len(shipments) == 1 else "Packing slips"
    )
    canvas.setAuthor(clean(settings.legal_name))
    store = _Store(settings)
    for shipment in shipments:
        contents = slip_contents(shipment, order_shipments.get(shipment.order_id, ()), formats)
        _Slip(canvas, shipment, contents, store, formats).draw()
    canvas.save()
    return buffer.getvalue()


def slip_contents(shipment, order_shipments: Sequence, formats: Formats) -> SlipContents:
    """What a slip lists, from the stored order lines and shipments."""
    in_this: dict[int, int] = defaultdict(int)
    in_parcel = []
    for line in shipment.lines:
        in_this[line.order_line_id] += line.quantity
        ordered = line.order_line
        in_parcel.append(SlipLine(ordered.sku, ordered.name, line.quantity))

    # Units of this shipment stay allocated until it leaves.
    packed_not_left = in_this if shipment.shipped_at is None else {}
    still = []
    for ordered in shipment.order.lines:
        elsewhere = ordered.quantity_allocated - packed_not_left.get(ordered.id, 0)
        if elsewhere > 0:
            still.append(SlipLine(ordered.sku, ordered.name, elsewhere, SEPARATELY))
        if ordered.quantity_backordered > 0:
            still.append(
                SlipLine(
                    ordered.sku,
                    ordered.name,
                    ordered.quantity_backordered,
                    _expected(ordered.expected_ship_date, formats),
                )
            )

    earlier = [
        other
        for other in order_shipments
        if other.id != shipment.id and other.shipped_at is not None
    ]
    earlier.sort(key=lambda other: (other.shipped_at, other.id))
    sent = []
    for other in earlier:
        when = f"shipment {other.number}, {formats.date(other.shipped_at)}"
        for line in other.lines:
            ordered = line.order_line
            sent.append(SlipLine(ordered.sku, ordered.name, line.quantity, when))
    return SlipContents(in_parcel, still, sent)


def _expected(day: date | None, formats: Formats) -> str:
    return f"expected {formats.date(day)}" if day else "expected date to be confirmed"


class _Store:
    """The store's lines, prepared once for a whole batch."""

    def __init__(self, settings):
        self.name = clean(settings.legal_name)
        self.address = [clean(line) for line in lines_of(settings.address)]
        contact = [clean(settings.email), clean(settings.phone)]
        self.contact = "  ".join(c for c in contact if c)


class _Slip:
    def __init__(self, canvas: Canvas, shipment, contents: SlipContents, store: _Store, formats):
        self.canvas = canvas
        self.shipment = shipment
        self.order = shipment.order
        self.contents = contents
        self.store = store
        self.formats = formats

    def draw(self) -> None:
        canvas = self.canvas
        header = self._first_header_height()
        body_top = PAGE_HEIGHT - MARGIN
        first_room = body_top - header - MARGIN - FOOTER_HEIGHT
        later_room = body_top - LATER_HEADER_HEIGHT - MARGIN - FOOTER_HEIGHT
        pages = paginate(self._blocks(), first_room, later_room)
        for number, page in enumerate(pages, start=1):
            if number == 1:
                self._draw_first_header()
                top = body_top - header
            else:
                self._draw_later_header()
                top = body_top - LATER_HEADER_HEIGHT
            draw_blocks(canvas, page, MARGIN, top)
            self._draw_footer(number, len(pages))
            canvas.showPage()

    # --- the head of the first page: who, to whom, which order ----------------------------

    def _ship_to(self) -> list[str]:
        lines = self.formats.address(self.order)
        if self.order.ship_phone:
            lines.append(clean(self.order.ship_phone))
        return lines

    def _first_header_height(self) -> float:
        store_lines = 1 + len(self.store.address)
        address = max(len(self._ship_to()), 5)  # the five facts beside it
        return max(store_lines * 12 + 20, BARCODE_HEIGHT + 34) + 40 + address * 12.5 + 14

    def _draw_first_header(self) -> None:
        canvas, shipment, order = self.canvas, self.shipment, self.order
        top = PAGE_HEIGHT - MARGIN
        right = PAGE_WIDTH - MARGIN

        canvas.setFont(BOLD, 15)
        canvas.drawString(MARGIN, top - 15, fit(self.store.name, BOLD, 15, 300))
        canvas.setFont(REGULAR, 9)
        for n, line in enumerate(self.store.address):
            canvas.drawString(MARGIN, top - 30 - n * 12, fit(line, REGULAR, 9, 300))

        barcode = code128(
            order.number, max_width=BARCODE_WIDTH, bar_height=BARCODE_HEIGHT, bar_width=1.2
        )
        barcode.drawOn(canvas, right - barcode.width, top - BARCODE_HEIGHT)
        canvas.setFont(BOLD, 12)
        canvas.drawCentredString(
            right - barcode.width / 2, top - BARCODE_HEIGHT - 14, f"Order {clean(order.number)}"
        )

        y = top - max((1 + len(self.store.address)) * 12 + 20, BARCODE_HEIGHT + 34)
        canvas.setFont(BOLD, 20)
        canvas.drawString(MARGIN, y - 20, "Packing slip")
        y -= 40

        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, y, "SHIP TO")
        facts_x = MARGIN + CONTENT_WIDTH * 0.55
        canvas.drawString(facts_x, y, "SHIPMENT")
        canvas.setFillColor(colors.black)
        canvas.setFont(REGULAR, 10)
        for n, line in enumerate(self._ship_to()):
            canvas.drawString(MARGIN, y - 13 - n * 12.5, fit(line, REGULAR, 10, 280))
        parcels = len(shipment.parcels)
        when = shipment.shipped_at or shipment.created_at
        facts = [
            ("Order", clean(order.number)),
            ("Shipment", clean(shipment.number)),
            ("Date", self.formats.date(when)),
            ("Service", clean(shipment.service_name)),
        ]
        if parcels:
            facts.append(("Parcels", str(parcels)))
        for n, (label, value) in enumerate(facts[:5]):
            baseline = y - 13 - n * 12.5
            canvas.setFont(REGULAR, 9)
            canvas.setFillColor(GREY)
            canvas.drawString(facts_x, baseline, label)
            canvas.setFillColor(colors.black)
            canvas.setFont(BOLD if label in ("Order", "Shipment") else REGULAR, 10)
            canvas.drawString(facts_x + 60, baseline, fit(value, REGULAR, 10, 160))

    def _draw_later_header(self) -> None:
        canvas = self.canvas
        top = PAGE_HEIGHT - MARGIN
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN, top - 10, fit(self.store.name, BOLD, 10, 250))
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN,
            top - 10,
            f"Packing slip - order {clean(self.order.number)}, "
            f"shipment {clean(self.shipment.number)} (continued)",
        )
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - 20, PAGE_WIDTH - MARGIN, top - 20)

    def _draw_footer(self, number: int, total: int) -> None:
        canvas = self.canvas
        y = MARGIN
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y + 14, PAGE_WIDTH - MARGIN, y + 14)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        if self.store.contact:
            canvas.drawString(MARGIN, y + 2, f"Questions? {self.store.contact}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y + 2, f"Page {number} of {total}")
        canvas.setFillColor(colors.black)

    # --- the sections -------------------------------------------------------------------

    def _blocks(self) -> list:
        contents = self.contents
        blocks = []
        units = sum(line.quantity for line in contents.in_parcel)
        parcels = len(self.shipment.parcels)
        note = f"{units} unit{'s' if units != 1 else ''}"
        if parcels > 1:
            note += f" in {parcels} boxes"
        blocks.append(section_heading("In this parcel", CONTENT_WIDTH, note=note))
        table = _table(with_note=False)
        for line in contents.in_parcel:
            table.add([clean(line.sku), clean(line.name), str(line.quantity)])
        blocks += table.blocks

        blocks.append(spacer(16))
        if contents.still_to_come:
            blocks.append(
                section_heading(
                    "Still to come", CONTENT_WIDTH, note="These items follow in a later parcel."
                )
            )
            table = _table(with_note=True)
            for line in contents.still_to_come:
                table.add([clean(line.sku), clean(line.name), str(line.quantity), line.note])
            blocks += table.blocks
        else:
            blocks.append(section_heading("Still to come", CONTENT_WIDTH))
            blocks.append(text_block(["Nothing: with this parcel your order is complete."]))

        if contents.already_sent:
            blocks.append(spacer(16))
            blocks.append(section_heading("Already sent", CONTENT_WIDTH))
            table = _table(with_note=True, note_title="Sent in")
            for line in contents.already_sent:
                table.add([clean(line.sku), clean(line.name), str(line.quantity), line.note])
            blocks += table.blocks
        return blocks


def _table(*, with_note: bool, note_title: str = "When") -> Table:
    sku, qty = Column("SKU", 100), Column("Qty", 40, align="right")
    if not with_note:
        return Table([sku, Column("Item", CONTENT_WIDTH - 140), qty])
    note = Column(note_title, 170)
    return Table([sku, Column("Item", CONTENT_WIDTH - 310), qty, note])
