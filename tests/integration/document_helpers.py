"""Shipments, parcels and purchase orders written as rows, and PDFs read back.

The rows are what the fulfilment and purchasing services store: a shipment
that has left moved its units from quantity_allocated to quantity_shipped.
"""

import io
from datetime import UTC, date, datetime

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from shop.extensions import db
from shop.fulfilment import status as shipment_status
from shop.fulfilment.models import Parcel, Shipment, ShipmentLine
from shop.purchasing import status as po_status
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine

LABEL_DPI = 300


def make_shipment(order, items, *, number, shipped_at=None, tracking=None, parcels=()):
    """A shipment of [(order line, quantity), ...]; parcels: [(box, L, W, H mm, grams), ...].

    With shipped_at the units count as shipped on the order lines, as when a shipment leaves.
    """
    shipment = Shipment(
        number=number,
        order_id=order.id,
        status=shipment_status.SHIPPED if shipped_at else shipment_status.PACKING,
        service_name=order.shipping_service_name,
        shipping_service_id=order.shipping_service_id,
        tracking_number=tracking,
        shipped_at=shipped_at,
    )
    for line, quantity in items:
        shipment.lines.append(ShipmentLine(order_line_id=line.id, quantity=quantity, unit_cost=0))
        if shipped_at:
            line.quantity_allocated -= quantity
            line.quantity_shipped += quantity
    for box, length, width, height, grams in parcels:
        shipment.parcels.append(
            Parcel(box_name=box, length_mm=length, width_mm=width, height_mm=height,
                   weight_g=grams)
        )  # fmt: skip
    db.session.add(shipment)
    db.session.commit()
    return shipment


def make_purchase_order(supplier, lines, *, number="PO-000042", expected=date(2026, 12, 15)):
    """A sent purchase order of [(variant, quantity, unit cost in cents), ...]."""
    po = PurchaseOrder(
        number=number,
        supplier_id=supplier.id,
        status=po_status.SENT,
        currency="CAD",
        expected_date=expected,
        note="Deliver to the back door.",
        sent_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
    )
    for variant, quantity, cost in lines:
        po.lines.append(PurchaseOrderLine(variant_id=variant.id, quantity=quantity, unit_cost=cost))
    db.session.add(po)
    db.session.commit()
    return po


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_page_sizes(data: bytes) -> list[tuple[float, float]]:
    return [
        (float(p.mediabox.width), float(p.mediabox.height))
        for p in PdfReader(io.BytesIO(data)).pages
    ]


def barcodes_on_page(data: bytes, page: int = 0, dpi: int = LABEL_DPI) -> list[tuple[str, str]]:
    """(text, format) of every barcode a real decoder finds on the page, rendered at dpi."""
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[page].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    return [(found.text, found.format.name) for found in zxingcpp.read_barcodes(image)]
