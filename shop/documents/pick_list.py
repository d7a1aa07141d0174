"""The pick list of a batch of orders: one walk through the warehouse.

Every unit allocated to the batch's orders and not yet shipped (the order
lines' quantity_allocated: stock is consumed when a shipment leaves) is
listed once per variant, with the quantity for each order, in the order of
the bins (StockLevel.bin_location; variants without a bin come last), then
by SKU. Backordered units are not on the shelf and are not listed. The bins are handed
over with the orders (shop.fulfilment.printing.bin_locations): nothing is read here.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER

from shop.db import utcnow
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
    draw_blocks,
    fit,
    paginate,
    text_block,
    wrap,
)

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 36.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
HEADER_HEIGHT = 30.0
FOOTER_HEIGHT = 24.0


@dataclass
class PickRow:
    variant_id: int
    sku: str
    name: str
    bin: str  # "" when the variant has no bin
    per_order: dict[str, int] = field(default_factory=dict)  # order number -> units

    @property
    def quantity(self) -> int:
        return sum(self.per_order.values())


def pick_rows(orders: Iterable, bins: Mapping[int, str | None]) -> list[PickRow]:
    """The batch's allocated units by variant, in walking order: bin (blank last), then SKU."""
    rows: dict[int, PickRow] = {}
    for order in orders:
        for line in order.lines:
            if line.quantity_allocated <= 0:
                continue
            row = rows.get(line.variant_id)
            if row is None:
                row = PickRow(line.variant_id, line.sku, line.name, bins.get(line.variant_id) or "")
                rows[line.variant_id] = row
            row.per_order[order.number] = row.per_order.get(order.number, 0) + (
                line.quantity_allocated
            )
    return sorted(rows.values(), key=lambda r: (r.bin == "", r.bin.casefold(), r.sku))


def render_pick_list(
    orders: Iterable,
    *,
    bins: Mapping[int, str | None],
    locale: str = "en_CA",
    timezone: str = "UTC",
    printed_at: datetime | None = None,
    store_name: str = "",
) -> bytes:
    """The pick list of these orders as PDF bytes.

    bins maps variant id to bin location (a variant missing from it has no bin).
    printed_at (now by default) is the date in the heading.
    """
    orders = list(orders)
    formats = Formats(locale, timezone)
    rows = pick_rows(orders, bins)
    printed = formats.date(printed_at or utcnow())
    numbers = [clean(order.number) for order in orders]
    picked = {number for row in rows for number in row.per_order}

    blocks = [text_block(["Pick list"], font=BOLD, size=20)]
    units = formats.plural(sum(r.quantity for r in rows), "unit")
    items, order_count = formats.plural(len(rows), "item"), formats.plural(len(numbers), "order")
    summary = f"Printed {printed}. {units} of {items} for {order_count}."
    blocks.append(text_block([summary], size=10, leading=16))
    order_lines = wrap("Orders: " + ", ".join(numbers), REGULAR, 9, CONTENT_WIDTH, max_lines=12)
    blocks.append(text_block(order_lines))
    nothing = [n for n in numbers if n not in picked]
    if nothing:
        text = "Nothing on the shelf yet for: " + ", ".join(nothing)
        blocks.append(text_block(wrap(text, REGULAR, 9, CONTENT_WIDTH, max_lines=6), color=GREY))
    blocks.append(text_block([""], size=6))

    table = Table(
        [
            Column("Bin", 60, font=BOLD),
            Column("SKU", 90),
            Column("Item", CONTENT_WIDTH - 60 - 90 - 40 - 150 - 40),
            Column("Qty", 40, align="right", font=BOLD),
            Column("Orders", 150, max_lines=12),
            Column("Done", 40),
        ]
    )
    for row in rows:
        per_order = ", ".join(f"{clean(n)} x {q}" for n, q in row.per_order.items())
        table.add(
            [clean(row.bin) or "-", clean(row.sku), clean(row.name), str(row.quantity),
             per_order, "[  ]"]
        )  # fmt: skip
    blocks += table.blocks

    buffer = BytesIO()
    canvas = document_canvas(buffer, pagesize=LETTER)
    canvas.setTitle(f"Pick list {printed}")
    room = PAGE_HEIGHT - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT
    pages = paginate(blocks, room, room)
    for number, page in enumerate(pages, start=1):
        top = PAGE_HEIGHT - MARGIN
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN, top - 10, fit(clean(store_name) or "Pick list", BOLD, 10, 300))
        canvas.setFont(REGULAR, 9)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, top - 10, f"Pick list, {printed}, {order_count}"
        )
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - 18, PAGE_WIDTH - MARGIN, top - 18)
        draw_blocks(canvas, page, MARGIN, top - HEADER_HEIGHT)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, f"Page {number} of {len(pages)}")
        canvas.setFillColor(colors.black)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
