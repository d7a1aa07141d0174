"""Cancellations: the customer's (the whole order, or only its backordered rest) and staff's.

The one place that cancels an order with its shipments, refunds and backorders: it
calls orders, fulfilment, refunds and the backorder release, which know nothing of it.

Each public function is one use case: it locks what it changes, checks, writes the
order's lines, stock, status, events, the refund (shop.refunds: credit note and
reversing entries) and one email to the customer, and flushes; the caller commits
once and then asks the provider for the money with refunds.send_refunds([refund.id]).
Bad input raises OrderError with a message a person can read and changes nothing.

Cancelled units move to OrderLine.quantity_cancelled, so the line's status
(shop.fulfilment.line_status) says "cancelled" and they are owed no more. Stock an
order gave back goes at once to the oldest paid backorders of the same variants
(shop.backorders.queue), as a receipt would.

Locks, in shop.locks order: the cancelled order and the orders waiting for its
variants (by id, together), its packing shipments (staff only), the stock rows,
then the books (the refund's entries).
"""

from dataclasses import dataclass

import sqlalchemy as sa

from shop import locks
from shop.backorders import queue as backorders
from shop.billing.files import pdf_attachment
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.fulfilment import status as shipment_status
from shop.fulfilment.models import Shipment
from shop.fulfilment.tracking import shipments_of
from shop.inventory import services as stock
from shop.notifications.services import queue_email
from shop.orders import events, pricing
from shop.orders import status as st
from shop.orders.errors import OrderError
from shop.orders.models import Order, OrderLine
from shop.refunds import services as refunds
from shop.refunds import status as refund_status

# Who may cancel a whole order, in which statuses: nothing has shipped in either.
CANCELLABLE = (st.PENDING_PAYMENT, st.PAID)
# Whose backordered rest the customer may cancel: paid, partly shipped or not yet.
REST_CANCELLABLE = (st.PAID, st.PARTIALLY_SHIPPED)


@dataclass(frozen=True)
class Cancellation:
    """What a cancellation did: the order, its cancelled units and the refund (if paid)."""

    order: Order
    units: dict[int, int]  # order line id -> units cancelled now
    refund: object | None  # shop.refunds.models.Refund

    @property
    def refund_ids(self) -> list[int]:
        return [self.refund.id] if self.refund is not None else []


# --- what may be cancelled (the order page asks before showing its buttons) --------


def started_shipments(order: Order) -> list[str]:
    """Numbers of the order's shipments being packed or shipped."""
    return list(
        db.session.scalars(
            sa.select(Shipment.number)
            .where(
                Shipment.order_id == order.id,
                Shipment.status.in_((shipment_status.PACKING, shipment_status.SHIPPED)),
            )
            .order_by(Shipment.id)
        )
    )


def customer_may_cancel(order: Order) -> bool:
    """The whole order: paid (or waiting for payment) and nothing packed or shipped yet."""
    return order.status in CANCELLABLE and not started_shipments(order)


def customer_may_cancel_rest(order: Order) -> bool:
    """Only the backordered rest: a paid order with units still waiting for stock."""
    return order.status in REST_CANCELLABLE and order.has_backorders


# --- the customer ---------------------------------------------------------------


def cancel_order_by_customer(*, order: Order, user=None) -> Cancellation:
    """The customer cancels the whole order before anything of it is packed.

    Every unit still owed is cancelled, its stock released (and given to the oldest
    backorders of the same items), the order becomes cancelled, and a paid order is
    refunded in full, shipping included, with a credit note in the email.
    """
    order = _lock_with_queue(order)
    _check_cancellable(order, by_customer=True)
    packing = started_shipments(order)
    if packing:
        raise OrderError(
            f"Order {order.number} is already being packed ({', '.join(packing)}), so it can "
            "no longer be cancelled. Once it arrives you can return it."
        )
    return _cancel_whole(order, user, reason="by the customer", by_customer=True)


def cancel_backordered_rest(*, order: Order, user=None) -> Cancellation:
    """The customer does not want to wait: the backordered units are cancelled and refunded.

    The refund is those units' goods and their tax, and the shipping the order no longer
    needs: an order quoted for several departures ("ship what is in stock now") gets back
    what it paid for shipping less what its service asks today for the rest leaving in
    one departure (never less than nothing). When nothing at all will ship (no unit
    shipped and none allocated) all the shipping is refunded and the order is cancelled.
    When every unit left has shipped, a partly shipped order becomes shipped. Backordered
    units hold no stock, so no stock moves.
    """
    order = locks.lock_order(order.id)
    if _rest_already_cancelled(order):
        raise OrderError(f"The backordered items of order {order.number} are already cancelled.")
    if order.status not in REST_CANCELLABLE:
        raise OrderError(_not_in_status(order, "its backordered items"))
    units = {line.id: line.quantity_backordered for line in order.lines}
    units = {line_id: n for line_id, n in units.items() if n > 0}
    if not units:
        raise OrderError(
            f"Nothing of order {order.number} is waiting for stock; there is no backordered "
            "rest to cancel."
        )
    items = _items(order, units)
    for line in order.lines:
        if line.id in units:
            line.quantity_cancelled += units[line.id]
            line.quantity_backordered = 0
    nothing_ships = not any(
        line.quantity_shipped or line.quantity_allocated for line in order.lines
    )
    if nothing_ships:
        # Nothing of it will ever leave: the order itself is cancelled (PAID -> CANCELLED).
        _change_status(order, st.CANCELLED)
    elif all(_settled(line) for line in order.lines) and order.status == st.PARTIALLY_SHIPPED:
        # Everything left has shipped: the order is complete (PARTIALLY_SHIPPED -> SHIPPED).
        _change_status(order, st.SHIPPED)
    cancelled = [(line.sku, units[line.id]) for line in order.lines if line.id in units]
    events.backorder_cancelled(order, cancelled, user)
    if nothing_ships:
        events.order_cancelled(order, user, "nothing left to ship")
    shipping = True if nothing_ships else _shipping_not_needed(order)
    refund = _refund(order, units, shipping=shipping, user=user, note=items)
    _email(order, units, refund, whole=nothing_ships)
    db.session.flush()
    return Cancellation(order, units, refund)


# --- staff ----------------------------------------------------------------------


def cancel_order_by_staff(*, order: Order, user, reason: str = "") -> Cancellation:
    """Staff cancel an order that has shipped nothing (a shipment being packed is
    stopped). A paid order is refunded in full, shipping included, with its credit
    note and email, as when the customer cancels; an unpaid one just gives its stock back.
    """
    order = _lock_with_queue(order)
    _check_cancellable(order, by_customer=False)
    if any(line.quantity_shipped for line in order.lines):
        raise OrderError(
            f"Part of order {order.number} has shipped; it can no longer be cancelled."
        )
    _cancel_packing_shipments(order, user)
    return _cancel_whole(order, user, reason=reason.strip(), by_customer=False)


def cancel_order(*, order: Order, user, reason: str = "") -> Order:
    """Staff cancel an order that has shipped nothing: cancel_order_by_staff (a paid order
    is refunded), returning the order."""
    return cancel_order_by_staff(order=order, user=user, reason=reason).order


# --- the steps ------------------------------------------------------------------


def _cancel_whole(order: Order, user, *, reason: str, by_customer: bool) -> Cancellation:
    paid = order.paid_at is not None and order.status == st.PAID
    _change_status(order, st.CANCELLED)
    events.order_cancelled(order, user, reason)
    units = {line.id: line.quantity_allocated + line.quantity_backordered for line in order.lines}
    units = {line_id: n for line_id, n in units.items() if n > 0}
    freed = sorted({line.variant_id for line in order.lines if line.quantity_allocated > 0})
    # The orders waiting for these items, read afresh under their locks (taken with this
    # order's, in _lock_with_queue), before the stock rows; this order waits no more.
    db.session.flush()
    waiting = backorders.lock_queue(freed) if freed else []
    locks.lock_stock_rows([line.variant_id for line in order.lines])
    for line in order.lines:
        stock.release(variant_id=line.variant_id, quantity=line.quantity_allocated)
        line.quantity_cancelled += line.quantity_allocated + line.quantity_backordered
        line.quantity_allocated = 0
        line.quantity_backordered = 0
    events.allocation_released(order, "cancelled")
    db.session.flush()
    if waiting:  # the oldest paid backorders of these items take the released units
        backorders.allocate_queue(waiting, reference=f"cancelled order {order.number}", user=user)
    refund = None
    if paid:
        items = _items(order, units)
        refund = _refund(order, units, shipping=True, user=user, note=items)
        _email(order, units, refund, whole=True, by_staff=not by_customer)
    elif by_customer:
        _email(order, units, None, whole=True)
    db.session.flush()
    return Cancellation(order, units, refund)


def _lock_with_queue(order: Order) -> Order:
    """Lock the order and the paid orders waiting for its items, all by id ascending
    (so two cancellations never wait for each other in a circle); the order read afresh."""
    variant_ids = db.session.scalars(
        sa.select(OrderLine.variant_id).where(OrderLine.order_id == order.id)
    ).all()
    waiting = db.session.scalars(
        sa.select(OrderLine.order_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.variant_id.in_(variant_ids or [0]),
            OrderLine.quantity_backordered > 0,
            Order.status.in_(backorders.SERVED),
        )
        .distinct()
    ).all()
    locks.lock_orders([order.id, *waiting])
    return locks.lock_order(order.id)


def _check_cancellable(order: Order, *, by_customer: bool) -> None:
    if order.status in CANCELLABLE:
        return
    if by_customer:
        raise OrderError(_not_in_status(order, "the order"))
    raise OrderError(
        f"Order {order.number} is {order.status_label.lower()}; "
        "only an order waiting for payment or paid can be cancelled."
    )


def _not_in_status(order: Order, what: str) -> str:
    if order.status == st.CANCELLED:
        return f"Order {order.number} is already cancelled."
    if order.status == st.SHIPPED:
        return f"Order {order.number} has shipped; {what} can no longer be cancelled."
    if order.status in st.PAYABLE:
        return f"Order {order.number} is not paid yet; {what} cannot be cancelled that way."
    return f"Order {order.number} is {order.status_label.lower()}; {what} cannot be cancelled."


def _settled(line: OrderLine) -> bool:
    return line.quantity_shipped + line.quantity_cancelled == line.quantity


def _change_status(order: Order, new: str) -> None:
    st.check_transition(order.status, new)
    order.status = new


def _rest_already_cancelled(order: Order) -> bool:
    lines = order.lines
    cancelled = any(line.quantity_cancelled for line in lines)
    waiting = any(line.quantity_backordered for line in lines)
    return order.status != st.CANCELLED and cancelled and not waiting


def _shipping_not_needed(order: Order) -> int:
    """The shipping paid for departures the order no longer takes, once its backordered
    rest is cancelled: what it paid less what the rest costs to send in one departure."""
    if order.shipment_count <= 1:
        return 0
    kept = {line.id: line.quantity - line.quantity_cancelled for line in order.lines}
    price = pricing.shipping_for(order, kept)
    return 0 if price is None else max(order.shipping_total - price, 0)


def _items(order: Order, units: dict[int, int]) -> str:
    return ", ".join(f"{units[line.id]} x {line.sku}" for line in order.lines if line.id in units)


def _refund(order: Order, units: dict[int, int], *, shipping: bool | int, user, note: str):
    """The cancelled units' money back (and the shipping, if asked); None when nothing of it
    is left to give back (staff refunded those units already, by hand)."""
    by_id = {line.id: line for line in order.lines}
    lines = {}
    for line_id, n in units.items():
        line = by_id[line_id]
        left = line.quantity - refunds.refunded_units(line)
        if min(n, left) > 0:
            lines[line_id] = min(n, left)
    if refunds.refundable_amount(order) <= 0 or (not lines and not shipping):
        return None
    return refunds.refund_order(
        order=order,
        lines=lines,
        shipping=shipping,
        reason=refund_status.CANCELLATION,
        note=note,
        user=user if getattr(user, "is_authenticated", False) else None,
        notify=False,
    )


def _email(
    order: Order, units: dict[int, int], refund, *, whole: bool, by_staff: bool = False
) -> None:
    """One email: what was cancelled, where each line stands, the money and its credit note."""
    shipped = [s for s in shipments_of(order) if s.shipment.status == shipment_status.SHIPPED]
    note = refund.credit_note if refund is not None else None
    subject = (
        f"Order {order.number} is cancelled"
        if whole
        else f"Order {order.number}: your backordered items are cancelled"
    )
    queue_email(
        to=order.email,
        subject=subject,
        kind="order_cancelled",
        order=order,
        cancelled=[(line, units[line.id]) for line in order.lines if line.id in units],
        whole=whole,
        by_staff=by_staff,
        refund=refund,
        credit_note=note,
        shipments=shipped,
        attachments=[pdf_attachment(note)] if note is not None else [],
    )
    events.cancellation_emailed(order)


def _cancel_packing_shipments(order: Order, user) -> None:
    packing = db.session.scalars(
        sa.select(Shipment).where(
            Shipment.order_id == order.id, Shipment.status == shipment_status.PACKING
        )
    ).all()
    for shipment in packing:
        fulfilment.cancel_shipment(shipment=shipment, user=user)
