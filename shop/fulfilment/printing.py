"""The warehouse's papers for shipments and orders: the rows they need, loaded at once.

Packing slips, labels and pick lists are drawn by shop.documents from what it is
handed (it reads no database); this module finds the shipments and orders by number,
loads what each document reads in a few queries (a batch of a thousand slips is not a
thousand lazy loads), and passes the store's settings, locale and time zone.
"""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from shop.documents.label import render_labels
from shop.documents.packing_slip import render_packing_slips
from shop.documents.pick_list import render_pick_list
from shop.extensions import db
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.inventory.models import StockLevel
from shop.orders import status as order_status
from shop.orders.models import Order, OrderLine
from shop.store_details.services import store_settings

PDF = "application/pdf"
MAX_NUMBER = 20  # the longest number the columns hold; a longer one is simply not found
MAX_BATCH = 2000  # shipments or orders in one PDF
PICKABLE = (order_status.PAID, order_status.PARTIALLY_SHIPPED)


def _shipments_query():
    return sa.select(Shipment).options(
        joinedload(Shipment.order).selectinload(Order.lines),
        selectinload(Shipment.lines).joinedload(ShipmentLine.order_line),
        selectinload(Shipment.parcels),
    )


def shipments_by_numbers(numbers: Iterable[str]) -> list[Shipment] | None:
    """The shipments with these numbers, in the order given (repeats once);
    None when any of them does not exist."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if any(len(n) > MAX_NUMBER for n in wanted):
        return None
    found = {
        s.number: s
        for s in db.session.scalars(_shipments_query().where(Shipment.number.in_(wanted)))
    }
    if len(found) != len(wanted):
        return None
    return [found[n] for n in wanted]


def shipment_by_number(number: str) -> Shipment | None:
    found = shipments_by_numbers([number])
    return found[0] if found else None


def orders_by_numbers(numbers: Iterable[str]) -> list[Order] | None:
    """The orders with these numbers, in the order given; None when any does not exist."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if any(len(n) > MAX_NUMBER for n in wanted):
        return None
    query = sa.select(Order).options(selectinload(Order.lines)).where(Order.number.in_(wanted))
    found = {o.number: o for o in db.session.scalars(query)}
    if len(found) != len(wanted):
        return None
    return [found[n] for n in wanted]


def orders_to_pick() -> list[Order]:
    """Paid orders with units allocated and not yet shipped, oldest first."""
    waiting = (
        sa.select(OrderLine.order_id).where(OrderLine.quantity_allocated > 0).scalar_subquery()
    )
    query = (
        sa.select(Order)
        .options(selectinload(Order.lines))
        .where(Order.status.in_(PICKABLE), Order.id.in_(waiting))
        .order_by(Order.created_at, Order.id)
        .limit(MAX_BATCH)
    )
    return list(db.session.scalars(query))


def shipments_by_order(order_ids: Iterable[int]) -> dict[int, list]:
    """Every shipment of these orders, with its lines, keyed by order id (a slip's
    "Already sent")."""
    found: dict[int, list] = defaultdict(list)
    ids = sorted(order_ids)
    if not ids:
        return found
    rows = db.session.scalars(
        sa.select(Shipment)
        .where(Shipment.order_id.in_(ids))
        .options(selectinload(Shipment.lines).joinedload(ShipmentLine.order_line))
        .order_by(Shipment.id)
    )
    for row in rows:
        found[row.order_id].append(row)
    return found


def bin_locations(variant_ids: Iterable[int]) -> dict[int, str | None]:
    """Each variant's bin (StockLevel.bin_location), for a pick list's walking order."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    found = db.session.execute(
        sa.select(StockLevel.variant_id, StockLevel.bin_location).where(
            StockLevel.variant_id.in_(ids)
        )
    )
    return {variant_id: bin_location for variant_id, bin_location in found}


def packing_slips_pdf(shipments: list[Shipment]) -> bytes:
    cfg = current_app.config
    return render_packing_slips(
        shipments,
        settings=store_settings(),
        locale=cfg["LOCALE"],
        timezone=cfg["TIMEZONE"],
        order_shipments=shipments_by_order({s.order_id for s in shipments}),
    )


def labels_pdf(shipments: list[Shipment]) -> bytes:
    return render_labels(shipments, settings=store_settings(), locale=current_app.config["LOCALE"])


def pick_list_pdf(orders: list[Order]) -> bytes:
    cfg = current_app.config
    return render_pick_list(
        orders,
        bins=bin_locations(line.variant_id for order in orders for line in order.lines),
        locale=cfg["LOCALE"],
        timezone=cfg["TIMEZONE"],
        store_name=store_settings().legal_name,
    )
