"""Goods on their way: open purchase-order lines, and the backorders waiting for them.

Both questions are asked for many variants at once (a cart, a product page, the
backorder list), one query each, never one query per variant.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from shop.extensions import db
from shop.purchasing import status as st
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier

# Orders whose backordered units wait in the queue ahead of a new order. An unpaid
# order counts too: once paid, it takes its place by the time it was placed.
# These are shop.orders.status's PENDING_PAYMENT, PAID and PARTIALLY_SHIPPED, written out:
# the promise stands below orders (the cart, below orders, asks it), so it reads the
# orders' two tables by name, as shop.locks does (tests/unit/test_import_graph.py checks
# that the three stay the same).
PROMISING = ("pending_payment", "paid", "partially_shipped")
ORDERS = sa.table("orders", sa.column("id"), sa.column("status"))
ORDER_LINES = sa.table(
    "order_lines", sa.column("order_id"), sa.column("variant_id"), sa.column("quantity_backordered")
)


@dataclass(frozen=True)
class Arrival:
    """Units of one open purchase-order line still to come, and when."""

    variant_id: int
    po_id: int
    po_number: str
    line_id: int
    expected: date
    outstanding: int


def expected_date(line_date, po_date, sent_at, lead_days: int, today: date) -> date:
    """A line's own date, else its order's, else the supplier's lead time from sending."""
    if line_date is not None:
        return line_date
    if po_date is not None:
        return po_date
    sent = today
    if sent_at is not None:
        sent = sent_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    return sent + timedelta(days=lead_days)


def arrivals_for(variant_ids, today: date) -> dict[int, list[Arrival]]:
    """Open purchase-order lines of these variants, earliest expected first (one query)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(
            PurchaseOrderLine.variant_id,
            PurchaseOrderLine.id,
            PurchaseOrderLine.expected_date,
            (PurchaseOrderLine.quantity - PurchaseOrderLine.quantity_received).label("due"),
            PurchaseOrder.id.label("po_id"),
            PurchaseOrder.number,
            PurchaseOrder.expected_date.label("po_date"),
            PurchaseOrder.sent_at,
            Supplier.lead_time_days,
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(
            PurchaseOrderLine.variant_id.in_(ids),
            PurchaseOrder.status.in_(st.OPEN),
            PurchaseOrderLine.quantity > PurchaseOrderLine.quantity_received,
        )
    )
    found: dict[int, list[Arrival]] = {}
    for row in rows:
        when = expected_date(row.expected_date, row.po_date, row.sent_at, row.lead_time_days, today)
        found.setdefault(row.variant_id, []).append(
            Arrival(row.variant_id, row.po_id, row.number, row.id, when, row.due)
        )
    for arrivals in found.values():
        arrivals.sort(key=lambda a: (a.expected, a.po_id, a.line_id))
    return found


def promised_for(variant_ids) -> dict[int, int]:
    """Units of these variants already backordered by open orders (one query)."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    line, order = ORDER_LINES.c, ORDERS.c
    rows = db.session.execute(
        sa.select(line.variant_id, sa.func.sum(line.quantity_backordered))
        .join(ORDERS, order.id == line.order_id)
        .where(
            line.variant_id.in_(ids),
            line.quantity_backordered > 0,
            order.status.in_(PROMISING),
        )
        .group_by(line.variant_id)
    )
    return {variant_id: int(units) for variant_id, units in rows}


def covering(arrivals: list[Arrival], ahead: int, wanted: int) -> Arrival | None:
    """The earliest arrival by which `wanted` units after `ahead` promised ones have come."""
    need = ahead + wanted
    came = 0
    for arrival in arrivals:
        came += arrival.outstanding
        if came >= need:
            return arrival
    return None
