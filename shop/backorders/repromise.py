"""When a promise slips: backorders get their new date, and their customers are told once.

A backordered line's expected ship date comes from the goods on order
(backorders.replan, the same rule as the product page, cart and checkout:
availability.availability). When that date moves, the rule here decides what follows:

- Later (a purchase order's expected date was edited later, the supplier is late, a
  purchase order that covered it was cancelled): the line takes the new date, the
  order's history gets an event, and the customer gets ONE email per order and per
  change (templates/email/backorder_delayed.*) naming each delayed item with its old and
  new date, with a link to the order page where the backordered rest can be cancelled
  with a refund.
- Earlier: the line takes the new date quietly (an event on the order's history, shown
  on the order page; no email). Suppliers' dates wobble; an email for every wobble
  teaches customers to ignore our emails, and good news arrives anyway as the
  "ships soon" email when the stock comes in.
- The same date: nothing at all (no event, no email). So editing only a purchase
  order's note, or editing its date twice to the same later day, tells nobody twice.

Lines already allocated, shipped or cancelled are not backordered, so they are never
touched (replan walks the backorder queue only).

A supplier who is late (`flask backorders repromise`, also run first by `flask
backorders report` every morning): an open purchase order with goods still to come
whose expected date has passed is expected LATE_DELIVERY_GRACE_DAYS (default 7) from
today, on the purchase order (its own date, or a line's own date where the line has
one), so the back office, the product page and the customer's order page all show
the one new date. Still late a week later, it moves again and the customers are told
again. Backordered lines that no purchase order covers and whose lead-time date has
passed move out to today + lead time + handling days, and their customers are told too.

Locks (shop.locks): the orders waiting for the variants first, then the purchase
orders by id, all read afresh; two copies of the job, or a staff edit during the job,
queue, and the second sees the dates the first wrote: a moved date is moved once, and
each customer is told once.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.backorders import queue as backorders
from shop.clock import store_today
from shop.extensions import db
from shop.notifications.services import queue_email
from shop.orders import events
from shop.orders.models import Order, OrderLine
from shop.promise.incoming import expected_date
from shop.purchasing import status as st
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier

# Why a ship date moved later: the order's history keeps the code, the customer reads
# the sentence (in the email, and on the order page through shop.order_history).
SUPPLIER_LATER = "supplier_later"
SUPPLIER_LATE = "supplier_late"
ORDER_CANCELLED = "order_cancelled"
LEAD_TIME_PASSED = "lead_time_passed"
DELAY_REASONS = {
    SUPPLIER_LATER: "Our supplier now expects to deliver later than planned.",
    SUPPLIER_LATE: "The delivery we are waiting for from our supplier has not arrived on time.",
    ORDER_CANCELLED: "The delivery we were waiting for will not come; we are ordering again.",
    LEAD_TIME_PASSED: "The item has not come in as soon as we expected.",
}


@dataclass
class Told:
    """What one order's customer was told: its lines that moved, and whether emailed."""

    order: Order
    changes: list[backorders.DateChange]
    emailed: bool


def tell_customers(changes: list[backorders.DateChange], *, why: str, user=None) -> list[Told]:
    """An event per order whose backorders moved; one email per order with a later date.
    why: a code of DELAY_REASONS."""
    by_order: dict[int, list[backorders.DateChange]] = {}
    for change in changes:
        by_order.setdefault(change.line.order_id, []).append(change)
    told = []
    for order_id in sorted(by_order):
        moved = by_order[order_id]
        order = moved[0].line.order
        later = [c for c in moved if c.later]
        earlier = [c for c in moved if not c.later]
        if later:
            events.backorder_delayed(order, _describe(later), why, user)
            queue_email(
                to=order.email,
                subject=f"Order {order.number}: a new ship date for your backordered "
                f"item{'s' if len(later) > 1 else ''}",
                kind="backorder_delayed",
                order=order,
                changes=later,
                why=DELAY_REASONS[why],
            )
        if earlier:
            events.backorder_sooner(order, _describe(earlier), user)
        told.append(Told(order, moved, bool(later)))
    return told


def _describe(changes: list[backorders.DateChange]) -> list[dict]:
    return [
        events.date_move(c.line.quantity_backordered, c.line.sku, c.old, c.new) for c in changes
    ]


def replan_and_tell(variant_ids, *, why: str, user=None) -> list[Told]:
    """backorders.replan, then the customers told (lock the queue first: lock_queue)."""
    return tell_customers(backorders.replan(variant_ids), why=why, user=user)


# --- the supplier is late --------------------------------------------------------------


@dataclass
class Repromised:
    """What one run of the job did."""

    purchase_orders: list[str]  # the late ones, now expected later
    told: list[Told]

    @property
    def emailed(self) -> list[str]:
        return [t.order.number for t in self.told if t.emailed]


def _late_purchase_orders(today: date) -> list[int]:
    """Ids of open purchase orders with a line whose goods are still to come and whose
    expected date has passed (read without locks: checked again under them)."""
    rows = db.session.execute(
        sa.select(
            PurchaseOrder.id,
            PurchaseOrderLine.expected_date,
            PurchaseOrder.expected_date.label("po_date"),
            PurchaseOrder.sent_at,
            Supplier.lead_time_days,
        )
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(
            PurchaseOrder.status.in_(st.OPEN),
            PurchaseOrderLine.quantity > PurchaseOrderLine.quantity_received,
        )
    )
    return sorted(
        {
            row.id
            for row in rows
            if expected_date(row.expected_date, row.po_date, row.sent_at, row.lead_time_days, today)
            < today
        }
    )


def _is_late(po: PurchaseOrder, line: PurchaseOrderLine, today: date) -> bool:
    if line.quantity_received >= line.quantity:
        return False
    when = expected_date(
        line.expected_date, po.expected_date, po.sent_at, po.supplier.lead_time_days, today
    )
    return when < today


def _overdue_variants(today: date) -> list[int]:
    """Variants with a paid backorder whose promised date has passed."""
    return list(
        db.session.scalars(
            sa.select(OrderLine.variant_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.quantity_backordered > 0,
                Order.status.in_(backorders.SERVED),
                OrderLine.expected_ship_date < today,
            )
            .distinct()
        )
    )


def repromise_late(*, today: date | None = None, user=None) -> Repromised:
    """Late purchase orders expected LATE_DELIVERY_GRACE_DAYS from today, overdue
    backorders given a new date, and their customers told once (one transaction)."""
    today = today or store_today()
    candidates = _late_purchase_orders(today)
    variant_ids = set(_overdue_variants(today))
    if candidates:
        variant_ids |= set(
            db.session.scalars(
                sa.select(PurchaseOrderLine.variant_id).where(
                    PurchaseOrderLine.purchase_order_id.in_(candidates)
                )
            )
        )
    if not variant_ids:
        return Repromised([], [])
    # Orders first, then purchase orders by id (shop.locks); each read afresh.
    backorders.lock_queue(variant_ids)
    new = today + timedelta(days=current_app.config["LATE_DELIVERY_GRACE_DAYS"])
    moved = []
    for po_id in candidates:
        po = locks.lock_purchase_order(po_id)
        if po is None or po.status not in st.OPEN:
            continue
        late = [line for line in po.lines if _is_late(po, line, today)]
        if not late:  # another copy of the job, or a staff edit, moved it a moment ago
            continue
        for line in late:
            if line.expected_date is not None:
                line.expected_date = new
            else:
                po.expected_date = new
        moved.append(po.number)
    db.session.flush()
    why = SUPPLIER_LATE if moved else LEAD_TIME_PASSED
    return Repromised(moved, replan_and_tell(variant_ids, why=why, user=user))
