"""One small function per kind of order event: each stores its kind (a short code) and
its parameters (numbers, SKUs, ISO dates, money in minor units with its currency), never
a sentence. shop.order_history turns them into the words the order page shows.
"""

from shop.extensions import db
from shop.orders.models import Order, OrderEvent


def _add(order: Order, kind: str, user=None, **params) -> OrderEvent:
    event = OrderEvent(kind=kind, params=params, user_id=getattr(user, "id", None))
    if "events" in order.__dict__:  # the history is loaded: keep it in step
        order.events.append(event)
    else:  # don't load the whole history just to add to it
        event.order_id = order.id
        db.session.add(event)
    db.session.flush()
    return event


def _money(order: Order, amount: int) -> dict:
    return {"amount": amount, "currency": order.currency}


def _units(items: list[tuple[str, int]]) -> list[dict]:
    """[(sku, units), ...] as the parameters keep them."""
    return [{"sku": sku, "units": units} for sku, units in items]


# --- placing and paying (shop.orders.services, shop.payments) ---------------------------


def order_placed(order: Order, user=None) -> OrderEvent:
    backordered = sum(line.quantity_backordered for line in order.lines)
    return _add(order, "placed", user, policy=order.shipping_policy, backordered=backordered)


def payment_started(order: Order, provider: str) -> OrderEvent:
    return _add(order, "payment_started", provider=provider)


def order_paid(order: Order, provider: str, amount: int, method: str = "") -> OrderEvent:
    return _add(order, "paid", provider=provider, method=method, **_money(order, amount))


def payment_failed(order: Order, provider: str, reason: str) -> OrderEvent:
    return _add(order, "payment_failed", provider=provider, reason=reason)


def payment_rejected(order: Order, provider: str, reason: str) -> OrderEvent:
    return _add(order, "payment_rejected", provider=provider, reason=reason)


def payment_refunded(
    order: Order, provider: str, amount: int, refund_id: str, unavailable: list[dict]
) -> OrderEvent:
    """Money taken for an order that cannot be supplied went back: `unavailable` holds
    the items gone ({"units", "name", "left"}, as services.unavailable_items gives them)."""
    return _add(
        order, "refunded", provider=provider, refund_id=refund_id, unavailable=unavailable,
        **_money(order, amount),
    )  # fmt: skip


def payment_refunded_cancelled(
    order: Order, provider: str, amount: int, refund_id: str
) -> OrderEvent:
    """Money taken for an order already cancelled went back."""
    return _add(
        order, "refunded", provider=provider, refund_id=refund_id, order_cancelled=True,
        **_money(order, amount),
    )  # fmt: skip


def allocation_released(order: Order, why: str) -> OrderEvent:
    """`why`: "payment_failed", "expired" or "cancelled"."""
    return _add(order, "released", why=why)


def order_expired(order: Order) -> OrderEvent:
    return _add(order, "expired")


def order_cancelled(order: Order, user=None, reason: str = "") -> OrderEvent:
    return _add(order, "cancelled", user, reason=reason)


def invoice_issued(order: Order, number: str) -> OrderEvent:
    return _add(order, "invoice", number=number)


# --- emails to the customer (kind "email", the notice says which) -----------------------


def _emailed(order: Order, notice: str, **params) -> OrderEvent:
    return _add(order, "email", notice=notice, to=order.email, **params)


def confirmation_sent(order: Order) -> OrderEvent:
    return _emailed(order, "confirmation")


def refund_notice_sent(order: Order) -> OrderEvent:
    return _emailed(order, "refund")


def shipment_emailed(order: Order, number: str) -> OrderEvent:
    return _emailed(order, "shipment", shipment=number)


def cancellation_emailed(order: Order) -> OrderEvent:
    return _emailed(order, "cancellation")


# --- fulfilment (shop.fulfilment.services) ----------------------------------------------


def shipment_created(order: Order, number: str, units: int, user=None) -> OrderEvent:
    return _add(order, "packing", user, shipment=number, units=units)


def shipment_shipped(order: Order, number: str, units: int, tracking: str, user=None):
    return _add(order, "shipped", user, shipment=number, units=units, tracking=tracking)


def shipment_cancelled(order: Order, number: str, user=None) -> OrderEvent:
    return _add(order, "packing_cancelled", user, shipment=number)


# --- refunds (shop.refunds) --------------------------------------------------------------


def refund_decided(order: Order, refund, credit_note_number: str, user=None) -> OrderEvent:
    return _add(
        order, "refund_decided", user, reason=refund.reason, note=refund.note or "",
        credit_note=credit_note_number, **_money(order, refund.amount),
    )  # fmt: skip


def refund_succeeded(order: Order, refund) -> OrderEvent:
    return _add(
        order, "refund_succeeded", provider=refund.provider, reference=refund.reference or "",
        **_money(order, refund.amount),
    )  # fmt: skip


def refund_failed(order: Order, refund) -> OrderEvent:
    return _add(
        order, "refund_failed", provider=refund.provider, error=refund.last_error or "",
        **_money(order, refund.amount),
    )  # fmt: skip


def refund_rejected(order: Order, provider: str, reason: str) -> OrderEvent:
    return _add(order, "refund_rejected", provider=provider, reason=reason)


def refund_retried(order: Order, refund, user=None) -> OrderEvent:
    return _add(order, "refund_retried", user, **_money(order, refund.amount))


# --- backorders (cancellations, shop.backorders.queue, shop.backorders.repromise) -------------


def backorder_cancelled(order: Order, items: list[tuple[str, int]], user=None) -> OrderEvent:
    """`items`: (sku, units cancelled) per line."""
    by_staff = bool(getattr(user, "is_staff", False))
    return _add(order, "backorder_cancelled", user, items=_units(items), by_staff=by_staff)


def backorder_allocated(order: Order, reference: str, items: list[tuple[str, int]], user=None):
    """Stock that came in (`reference`: the purchase order or return) went to waiting lines."""
    return _add(order, "backorder_allocated", user, reference=reference, items=_units(items))


def date_move(units: int, sku: str, old, new) -> dict:
    """One backordered line's expected ship date moved: old (a date or None) to new."""
    return {"units": units, "sku": sku, "from": old.isoformat() if old else None,
            "to": new.isoformat()}  # fmt: skip


def backorder_delayed(order: Order, moves: list[dict], why: str, user=None) -> OrderEvent:
    """Backordered lines' ship dates moved later (`moves` of date_move); emailed."""
    return _add(order, "backorder_delayed", user, moves=moves, why=why)


def backorder_sooner(order: Order, moves: list[dict], user=None) -> OrderEvent:
    """Backordered lines' ship dates moved earlier: shown on the order page, not emailed."""
    return _add(order, "backorder_sooner", user, moves=moves)


# --- returns (shop.returns.services) ------------------------------------------------------


def return_requested(order: Order, number: str, lines: list[dict], user=None) -> OrderEvent:
    """`lines`: {"sku", "units", "reason"} per line asked back."""
    return _add(order, "return_requested", user, number=number, lines=lines)


def return_authorised(order: Order, number: str, note: str, user=None) -> OrderEvent:
    return _add(order, "return_authorised", user, number=number, note=note)


def return_refused(order: Order, number: str, note: str, user=None) -> OrderEvent:
    return _add(order, "return_refused", user, number=number, note=note)


def return_withdrawn(order: Order, number: str, user=None) -> OrderEvent:
    return _add(order, "return_withdrawn", user, number=number)


def return_received(order: Order, number: str, lines: list[dict], user=None) -> OrderEvent:
    """`lines`: {"sku", "units", "resellable", "damaged"} per line that came back."""
    return _add(order, "return_received", user, number=number, lines=lines)


def return_not_refunded(order: Order, number: str, cause: str, user=None) -> OrderEvent:
    """Received, nothing to give back; `cause`: "fee_kept", "already_refunded" or
    "nothing_paid" (the order cost nothing)."""
    return _add(order, "return_received", user, number=number, no_refund=cause)


def return_refunded(
    order: Order, number: str, amount: int, fee: int, credit_note: str, user=None
) -> OrderEvent:
    return _add(
        order, "return_refunded", user, number=number, fee=fee, credit_note=credit_note,
        **_money(order, amount),
    )  # fmt: skip
