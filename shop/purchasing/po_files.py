"""A purchase order as a PDF for the supplier, from the stored order."""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from shop.catalogue.models import Variant
from shop.documents.purchase_order import render_purchase_order
from shop.extensions import db
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine
from shop.store_details.services import store_settings

PDF = "application/pdf"
MAX_NUMBER = 20  # the longest number the column holds; a longer one is simply not found


def purchase_order_by_number(number: str) -> PurchaseOrder | None:
    if len(number) > MAX_NUMBER:
        return None
    query = (
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.number == number)
        .options(
            joinedload(PurchaseOrder.supplier),
            selectinload(PurchaseOrder.lines)
            .joinedload(PurchaseOrderLine.variant)
            .joinedload(Variant.product),
        )
    )
    return db.session.scalar(query)


def purchase_order_pdf(po: PurchaseOrder) -> bytes:
    cfg = current_app.config
    return render_purchase_order(
        po, settings=store_settings(), locale=cfg["LOCALE"], timezone=cfg["TIMEZONE"]
    )
