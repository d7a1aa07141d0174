"""Where each unit of an order line is: one function, used by every page, email and report.

A line's units are split into parts by state, from its quantities and its
shipments (packing or shipped):

    returned     shipped units that came back under a return (quantity_returned)
    shipped      units that left, less those returned
    packed       allocated units in a shipment being packed (still allocated)
    allocated    stock reserved for the line, not yet in a shipment
    backordered  units waiting for stock, with the expected ship date
    cancelled    units cancelled before they left (quantity_cancelled)
    released     units of an unpaid order that gave its stock back (payment failed or
                 expired): neither reserved nor cancelled

The parts always add up to the line's quantity. `label` is what a person reads:
"Shipped" when every unit is in one state, else "2 shipped, 1 backordered (ships
about Dec 14, 2026)". Allocated units read "reserved", as customers say it.
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from babel.dates import format_date
from flask import current_app

from shop.extensions import db
from shop.fulfilment import status as shipment_status
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.orders.models import Order, OrderLine

RETURNED = "returned"
SHIPPED = "shipped"
PACKED = "packed"
ALLOCATED = "allocated"
BACKORDERED = "backordered"
CANCELLED = "cancelled"
RELEASED = "released"

# The order parts are listed in: furthest along first.
STATES = (RETURNED, SHIPPED, PACKED, ALLOCATED, BACKORDERED, CANCELLED, RELEASED)
LABELS = {
    RETURNED: "returned",
    SHIPPED: "shipped",
    PACKED: "packed",
    ALLOCATED: "reserved",  # a customer's word for allocated: set aside for this order
    BACKORDERED: "backordered",
    CANCELLED: "cancelled",
    RELEASED: "not reserved",
}


@dataclass(frozen=True)
class Part:
    quantity: int
    state: str
    date: dt.date | None = None  # the expected ship date of backordered units

    @property
    def label(self) -> str:
        text = LABELS[self.state]
        if self.date is not None:
            text += f" (ships about {_date(self.date)})"
        return text


@dataclass(frozen=True)
class LineStatus:
    parts: tuple[Part, ...]

    @property
    def label(self) -> str:
        if len(self.parts) == 1:
            return self.parts[0].label[:1].upper() + self.parts[0].label[1:]
        return ", ".join(f"{part.quantity} {part.label}" for part in self.parts)

    def quantity(self, state: str) -> int:
        return sum(part.quantity for part in self.parts if part.state == state)

    @property
    def states(self) -> list[str]:
        return [part.state for part in self.parts]

    def __str__(self) -> str:
        return self.label


def _date(day: dt.date) -> str:
    return format_date(day, "medium", locale=current_app.config["LOCALE"])


def line_status(line: OrderLine, packing: int = 0) -> LineStatus:
    """The status of one line; `packing`: its units in shipments being packed."""
    packed = min(max(packing, 0), line.quantity_allocated)
    returned = min(line.quantity_returned, line.quantity_shipped)
    counts = {
        RETURNED: returned,
        SHIPPED: line.quantity_shipped - returned,
        PACKED: packed,
        ALLOCATED: line.quantity_allocated - packed,
        BACKORDERED: line.quantity_backordered,
        CANCELLED: line.quantity_cancelled,
    }
    counts[RELEASED] = max(line.quantity - sum(counts.values()), 0)
    parts = tuple(
        Part(
            counts[state],
            state,
            line.expected_ship_date if state == BACKORDERED else None,
        )
        for state in STATES
        if counts[state] > 0
    )
    return LineStatus(parts)


def packing_units(order_ids) -> dict[int, int]:
    """Order line id -> units in shipments being packed, for these orders (one query)."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(ShipmentLine.order_line_id, sa.func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id.in_(ids), Shipment.status == shipment_status.PACKING)
        .group_by(ShipmentLine.order_line_id)
    ).all()
    return {line_id: int(units) for line_id, units in rows}


def order_line_statuses(order: Order) -> dict[int, LineStatus]:
    """Order line id -> its status, for every line of the order."""
    packing = packing_units([order.id])
    return {line.id: line_status(line, packing.get(line.id, 0)) for line in order.lines}
