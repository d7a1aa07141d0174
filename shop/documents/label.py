"""Shipping labels: one 4 x 6 inch page per parcel, for a thermal label printer.

A label gives the sender (the store's settings), the recipient (the order's
ship-to snapshot), the carrier's service, the parcel's weight and size as
weighed and measured, "parcel x of y", and the tracking number in text and as
a Code 128 barcode. The barcode is as tall as a scanner likes (about 60 pt)
and its bars as wide as the label allows, with blank quiet zones either side.
A shipment that has no tracking number yet carries its own number instead,
and says so.
"""

from collections.abc import Iterable
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from shop.documents.fonts import document_canvas, string_width
from shop.documents.layout import BOLD, GREY, REGULAR, Formats, clean, code128, fit, lines_of

LABEL_SIZE = (4 * inch, 6 * inch)  # 288 x 432 pt
WIDTH, HEIGHT = LABEL_SIZE
MARGIN = 12.0
INNER = WIDTH - 2 * MARGIN
BAR_HEIGHT = 60.0
BAR_WIDTH = 1.4  # the widest narrow bar wanted; long numbers get narrower bars to fit


def render_label(shipment, *, settings, locale: str) -> bytes:
    """The labels of one shipment (a page per parcel) as PDF bytes."""
    return render_labels([shipment], settings=settings, locale=locale)


def render_labels(shipments: Iterable, *, settings, locale: str) -> bytes:
    """One PDF of 4 x 6 inch pages: a label for each parcel of each shipment, in order.

    A shipment with no parcel recorded yet gets one label, its weight and size left blank.
    """
    formats = Formats(locale)
    sender = [clean(settings.legal_name)] + [clean(line) for line in lines_of(settings.address)]
    if settings.phone:
        sender.append(clean(settings.phone))
    buffer = BytesIO()
    canvas = document_canvas(buffer, pagesize=LABEL_SIZE)
    canvas.setAuthor(sender[0])
    canvas.setTitle("Shipping labels")
    for shipment in shipments:
        parcels = list(shipment.parcels) or [None]
        for number, parcel in enumerate(parcels, start=1):
            _draw_label(canvas, shipment, parcel, number, len(parcels), sender, formats)
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_label(canvas: Canvas, shipment, parcel, number: int, count: int, sender, formats):
    order = shipment.order
    y = HEIGHT - MARGIN

    # From
    canvas.setFont(REGULAR, 7)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN, y - 7, "FROM")
    canvas.setFillColor(colors.black)
    canvas.setFont(BOLD, 9)
    canvas.drawString(MARGIN + 30, y - 7, fit(sender[0], BOLD, 9, INNER - 30))
    canvas.setFont(REGULAR, 8)
    for n, line in enumerate(sender[1:6]):
        canvas.drawString(MARGIN + 30, y - 17 - n * 9.5, fit(line, REGULAR, 8, INNER - 30))
    y -= 17 + min(len(sender) - 1, 5) * 9.5 + 4
    _rule(canvas, y, 1.5)

    # To
    canvas.setFont(REGULAR, 7)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN, y - 11, "SHIP TO")
    canvas.setFillColor(colors.black)
    recipient = formats.address(order)
    canvas.setFont(BOLD, 14)
    canvas.drawString(MARGIN + 8, y - 28, fit(recipient[0], BOLD, 14, INNER - 8))
    canvas.setFont(REGULAR, 12)
    for n, line in enumerate(recipient[1:6]):
        canvas.drawString(MARGIN + 8, y - 44 - n * 14, fit(line, REGULAR, 12, INNER - 8))
    y -= 44 + min(len(recipient) - 1, 5) * 14 + 2
    if order.ship_phone:
        canvas.setFont(REGULAR, 9)
        canvas.drawString(MARGIN + 8, y - 4, f"Tel. {clean(order.ship_phone)}")
        y -= 12
    _rule(canvas, y - 4, 1.5)
    y -= 4

    # Service and parcel
    service = clean(shipment.service_name)
    size = 15.0
    while size > 10 and string_width(service, BOLD, size) > INNER - 84:
        size -= 0.5
    canvas.setFont(BOLD, size)
    canvas.drawString(MARGIN, y - 19, fit(service, BOLD, size, INNER - 84))
    canvas.setFont(BOLD, 12)
    canvas.drawRightString(WIDTH - MARGIN, y - 19, f"Parcel {number} of {count}")
    if parcel is not None:
        weight = formats.kilograms(parcel.weight_g)
        size = formats.centimetres(parcel.length_mm, parcel.width_mm, parcel.height_mm)
    else:
        weight = size = "-"
    facts = [
        ("Weight", weight),
        ("Dimensions", size),
        ("Order", f"{clean(order.number)}   Shipment {clean(shipment.number)}"),
    ]
    for n, (label, value) in enumerate(facts):
        baseline = y - 36 - n * 13
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, baseline, label)
        canvas.setFillColor(colors.black)
        canvas.setFont(BOLD if n < 2 else REGULAR, 10)
        canvas.drawString(MARGIN + 58, baseline, fit(value, REGULAR, 10, INNER - 58))
    y -= 36 + 2 * 13 + 10
    _rule(canvas, y, 1.5)

    # Tracking
    tracking = clean(shipment.tracking_number or "")
    value = tracking or clean(shipment.number)
    barcode = _barcode(value)
    bar_top = y - 14
    barcode.drawOn(canvas, (WIDTH - barcode.width) / 2, bar_top - BAR_HEIGHT)
    canvas.setFont(REGULAR, 7)
    canvas.setFillColor(GREY)
    caption = "TRACKING NUMBER" if tracking else "SHIPMENT (no tracking number yet)"
    canvas.drawCentredString(WIDTH / 2, bar_top - BAR_HEIGHT - 12, caption)
    canvas.setFillColor(colors.black)
    canvas.setFont(BOLD, 13)
    canvas.drawCentredString(WIDTH / 2, bar_top - BAR_HEIGHT - 27, fit(value, BOLD, 13, INNER))


def _barcode(value: str):
    """Code 128 of value, its bars as wide as fits between quiet zones of ten bars each."""
    modules = code128(value, max_width=10_000, bar_height=BAR_HEIGHT, bar_width=1).width
    bar_width = min(BAR_WIDTH, INNER / (modules + 20))
    return code128(value, max_width=INNER, bar_height=BAR_HEIGHT, bar_width=bar_width)


def _rule(canvas: Canvas, y: float, width: float) -> None:
    canvas.setLineWidth(width)
    canvas.setStrokeColor(colors.black)
    canvas.line(MARGIN, y, WIDTH - MARGIN, y)
