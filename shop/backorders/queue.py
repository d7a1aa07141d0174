"""The backorder queue: who waits for which units, in what order, and what covers them.

Outstanding backorders are a queue by order time. Received stock goes to paid
orders only (paid or partly shipped), oldest order first: an unpaid order may
never be paid (it expires within the hour), and stock it held would then go back
on the shelf for whoever orders next instead of to the customers who have paid
and waited longest. An unpaid order keeps its place: once paid, it joins the
queue by the time it was placed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from shop import locks
from shop.clock import store_today
from shop.csv_export import csv_lines
from shop.extensions import db
from shop.inventory import services as stock
from shop.inventory.models import StockLevel
from shop.notifications.services import queue_email
from shop.orders import events
from shop.orders import status as order_status
from shop.orders.models import SHIP_COMPLETE, Order, OrderLine
from shop.promise.availability import lead_time_days
from shop.promise.incoming import Arrival, arrivals_for, covering

# Orders whose backorders receive stock, in this order of priority (by order time).
SERVED = (order_status.PAID, order_status.PARTIALLY_SHIPPED)


def _queue(variant_ids=None):
    query = (
        sa.select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .options(contains_eager(OrderLine.order))
        .where(OrderLine.quantity_backordered > 0, Order.status.in_(SERVED))
        .order_by(Order.created_at, Order.id, OrderLine.id)
    )
    if variant_ids is not None:
        query = query.where(OrderLine.variant_id.in_(sorted(set(variant_ids))))
    return query


def queue_lines(variant_ids=None) -> list[OrderLine]:
    """Open backordered lines of paid orders, oldest order first (with their orders)."""
    return list(db.session.scalars(_queue(variant_ids)))


def lock_queue(variant_ids) -> list[OrderLine]:
    """The queue of these variants with its orders locked (in id order) and read afresh.

    Call before locking purchase orders or stock rows: orders come first (shop.locks).
    """
    ids = sorted(set(variant_ids))
    order_ids = db.session.scalars(
        sa.select(OrderLine.order_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.variant_id.in_(ids),
            OrderLine.quantity_backordered > 0,
            Order.status.in_(SERVED),
        )
        .distinct()
    ).all()
    locks.lock_orders(order_ids)
    return list(
        db.session.scalars(
            _queue(ids)
            .where(Order.id.in_(order_ids or [0]))
            .execution_options(populate_existing=True)
        )
    )


@dataclass
class Allocated:
    """What one order received from a delivery: (line, units) pairs."""

    order: Order
    lines: list[tuple[OrderLine, int]]

    @property
    def units(self) -> int:
        return sum(units for _, units in self.lines)


def allocate_queue(lines: list[OrderLine], *, reference: str, user=None) -> list[Allocated]:
    """Give free stock to these queued lines, oldest first; tell each order's customer once.

    The stock rows must be locked (shop.locks), the orders too (lock_queue).
    """
    by_order: dict[int, Allocated] = {}
    dry: set[int] = set()  # variants with nothing free left: no need to ask again
    for line in lines:
        if line.variant_id in dry or line.quantity_backordered <= 0:
            continue
        got = stock.allocate(variant_id=line.variant_id, quantity=line.quantity_backordered)
        if got < line.quantity_backordered:
            dry.add(line.variant_id)
        if not got:
            continue
        line.quantity_backordered -= got
        line.quantity_allocated += got
        entry = by_order.setdefault(line.order_id, Allocated(line.order, []))
        entry.lines.append((line, got))
    db.session.flush()
    done = list(by_order.values())
    for entry in done:
        _tell(entry, reference, user)
    return done


def _tell(entry: Allocated, reference: str, user) -> None:
    order = entry.order
    items = [(line.sku, units) for line, units in entry.lines]
    events.backorder_allocated(order, reference, items, user)
    waiting = order.shipping_policy == SHIP_COMPLETE and order.has_backorders
    queue_email(
        to=order.email,
        subject=f"Order {order.number}: your item is in and ships soon"
        if not waiting
        else f"Order {order.number}: your backordered item has arrived",
        kind="backorder_allocated",
        order=order,
        items=entry.lines,
        waiting=waiting,
        ship_date=_latest_date(order) if waiting else None,
    )


def _latest_date(order: Order) -> date | None:
    dates = [ln.expected_ship_date for ln in order.lines if ln.quantity_backordered]
    return max((d for d in dates if d is not None), default=None)


def allocate_to_backorders(variant_ids, *, reference: str = "stock", user=None):
    """Give the free stock of these variants to their backorders, oldest paid order first.

    For a change that frees stock outside a receipt (a count, a cancelled order).
    """
    variant_ids = list(variant_ids)
    lines = lock_queue(variant_ids)
    locks.lock_stock_rows(variant_ids)
    return allocate_queue(lines, reference=reference, user=user)


def serve_backorders_from_free_stock(*, user=None):
    """Free stock that waiting paid backorders could have (stock freed by a cancelled or
    expired order, a count, an order paid late) goes to them, oldest first.

    Run by `flask backorders allocate` (cron, every few minutes): doing it in the use
    cases that free stock would take order locks after stock locks, the wrong way round.
    """
    free = StockLevel.on_hand - StockLevel.allocated
    variant_ids = db.session.scalars(
        sa.select(OrderLine.variant_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(StockLevel, StockLevel.variant_id == OrderLine.variant_id)
        .where(OrderLine.quantity_backordered > 0, Order.status.in_(SERVED), free > 0)
        .distinct()
    ).all()
    if not variant_ids:
        return []
    return allocate_to_backorders(variant_ids, reference="free stock", user=user)


# --- expected dates ------------------------------------------------------------------


@dataclass(frozen=True)
class BackorderRow:
    """One line of the daily backorder list."""

    line: OrderLine
    order: Order
    expected: date | None
    covered_by: Arrival | None

    @property
    def customer(self) -> str:
        return self.order.ship_full_name

    @property
    def order_date(self) -> date:
        """The day the order was placed, where the store is."""
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        return self.order.created_at.astimezone(zone).date()


def plan(lines: list[OrderLine], today: date) -> list[BackorderRow]:
    """Walk the queue through the goods on order: which purchase order covers each line.

    A line is covered by the earliest open purchase-order line by which enough
    units have come for it and every line ahead of it; it then ships that day
    plus the handling days. A line no order covers keeps its date.
    """
    arrivals = arrivals_for([ln.variant_id for ln in lines], today)
    handling = timedelta(days=current_app.config["HANDLING_DAYS"])
    ahead: dict[int, int] = {}
    rows = []
    for line in lines:
        before = ahead.get(line.variant_id, 0)
        ahead[line.variant_id] = before + line.quantity_backordered
        found = covering(arrivals.get(line.variant_id, []), before, line.quantity_backordered)
        expected = max(found.expected, today) + handling if found else line.expected_ship_date
        rows.append(BackorderRow(line, line.order, expected, found))
    return rows


@dataclass(frozen=True)
class DateChange:
    """A backordered line whose expected ship date replan() moved."""

    line: OrderLine
    old: date | None
    new: date
    covered_by: Arrival | None  # the purchase-order line it now waits for (None: lead time)

    @property
    def later(self) -> bool:
        """A promise broken: the customer was told a date and it moved out."""
        return self.old is not None and self.new > self.old


def replan(variant_ids) -> list[DateChange]:
    """Write the expected ship date of every backordered line of these variants again.

    Covered by an open purchase order: its expected date plus handling days. Not
    covered: the supplier lead time from today at the earliest (a date promised
    by a purchase order that was cancelled moves out). Returns the lines changed,
    with their old and new dates (shop.backorders.repromise tells their customers).
    """
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    today = store_today()
    lines = queue_lines(ids)
    stock_rows = {
        s.variant_id: s
        for s in db.session.scalars(sa.select(StockLevel).where(StockLevel.variant_id.in_(ids)))
    }
    handling = current_app.config["HANDLING_DAYS"]
    changed = []
    for row in plan(lines, today):
        if row.covered_by is not None:
            new = row.expected
        else:
            earliest = today + timedelta(
                days=lead_time_days(stock_rows.get(row.line.variant_id)) + handling
            )
            current = row.line.expected_ship_date
            new = earliest if current is None or current < earliest else current
        if new != row.line.expected_ship_date:
            changed.append(DateChange(row.line, row.line.expected_ship_date, new, row.covered_by))
            row.line.expected_ship_date = new
    db.session.flush()
    return changed


# --- the daily list ------------------------------------------------------------------


def backorder_list(today: date | None = None) -> list[BackorderRow]:
    """Every open backorder line of a paid order, oldest order first."""
    return plan(queue_lines(), today or store_today())


CSV_HEADER = [
    "Order", "Order date", "Customer", "Email", "SKU", "Item", "Backordered",
    "Expected ship date", "Purchase order",
]  # fmt: skip


def csv_rows(rows: list[BackorderRow]) -> list[list[str]]:
    return [
        [
            r.order.number,
            r.order_date.isoformat(),
            r.customer,
            r.order.email,
            r.line.sku,
            r.line.name,
            str(r.line.quantity_backordered),
            r.expected.isoformat() if r.expected else "",
            r.covered_by.po_number if r.covered_by else "",
        ]
        for r in rows
    ]


def backorder_csv(rows: list[BackorderRow]) -> str:
    return "".join(csv_lines(CSV_HEADER, csv_rows(rows)))
