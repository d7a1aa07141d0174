"""One small function per kind of order event; the order page shows them as its history."""

from flask import current_app

from shop.extensions import db
from shop.money import format_money
from shop.orders.models import Order, OrderEvent


def _add(order: Order, kind: str, message: str, user=None) -> OrderEvent:
    event = OrderEvent(kind=kind, message=message, user_id=getattr(user, "id", None))
    if "events" in order.__dict__:  # the history is loaded: keep it in step
        order.events.append(event)
    else:  # don't load the whole history just to add to it
        event.order_id = order.id
        db.session.add(event)
    db.session.flush()
    return event


def order_placed(order: Order, user=None) -> OrderEvent:
    backordered = sum(line.quantity_backordered for line in order.lines)
    extra = f"; {backordered} unit(s) backordered" if backordered else ""
    return _add(order, "placed", f"Order placed ({order.policy_label.lower()}){extra}.", user)


def payment_started(order: Order, provider: str) -> OrderEvent:
    return _add(order, "payment_started", f"Payment started with {provider}.")


def order_paid(order: Order, provider: str, amount: int, method: str = "") -> OrderEvent:
    money = format_money(amount, order.currency, current_app.config["LOCALE"])
    how = f" by {method}" if method else ""
    return _add(order, "paid", f"Payment of {money} received through {provider}{how}.")


def payment_failed(order: Order, provider: str, reason: str) -> OrderEvent:
    return _add(order, "payment_failed", f"Payment failed at {provider}: {reason}")


def payment_rejected(order: Order, provider: str, reason: str) -> OrderEvent:
    return _add(order, "payment_rejected", f"Payment event from {provider} rejected: {reason}")


def payment_refunded(
    order: Order, provider: str, amount: int, refund_id: str, items: str, why: str = ""
) -> OrderEvent:
    money = format_money(amount, order.currency, current_app.config["LOCALE"])
    why = why or f"no longer available: {items}"
    return _add(
        order, "refunded", f"Payment of {money} refunded through {provider} ({refund_id}): {why}."
    )


def refund_notice_sent(order: Order) -> OrderEvent:
    return _add(order, "email", f"Refund notice emailed to {order.email}.")


def allocation_released(order: Order, why: str) -> OrderEvent:
    return _add(order, "released", f"Stock allocation released ({why}).")


def order_expired(order: Order) -> OrderEvent:
    return _add(order, "expired", "Not paid in time; the order expired.")


def order_cancelled(order: Order, user=None, reason: str = "") -> OrderEvent:
    return _add(order, "cancelled", f"Order cancelled{': ' + reason if reason else ''}.", user)


def confirmation_sent(order: Order) -> OrderEvent:
    return _add(order, "email", f"Order confirmation emailed to {order.email}.")


def invoice_issued(order: Order, number: str) -> OrderEvent:
    return _add(order, "invoice", f"Invoice {number} issued, marked paid.")


def shipment_created(order: Order, number: str, units: int, user=None) -> OrderEvent:
    return _add(order, "packing", f"Shipment {number} started: {units} unit(s) to pack.", user)


def shipment_shipped(order: Order, number: str, units: int, tracking: str, user=None):
    message = f"Shipment {number} shipped: {units} unit(s), tracking {tracking}."
    return _add(order, "shipped", message, user)


def shipment_cancelled(order: Order, number: str, user=None) -> OrderEvent:
    return _add(order, "packing_cancelled", f"Shipment {number} cancelled while packing.", user)


def shipment_emailed(order: Order, number: str) -> OrderEvent:
    return _add(order, "email", f"Shipment {number} notice emailed to {order.email}.")


def backorder_allocated(order: Order, message: str, user=None) -> OrderEvent:
    return _add(order, "backorder_allocated", message, user)


def refund_decided(order: Order, refund, credit_note_number: str, user=None) -> OrderEvent:
    money = format_money(refund.amount, order.currency, current_app.config["LOCALE"])
    why = f" ({refund.note})" if refund.note else ""
    return _add(
        order, "refund_decided",
        f"Refund of {money} decided: {refund.reason_label.lower()}{why}; "
        f"credit note {credit_note_number} issued.", user,
    )  # fmt: skip


def refund_succeeded(order: Order, refund) -> OrderEvent:
    money = format_money(refund.amount, order.currency, current_app.config["LOCALE"])
    ref = f" ({refund.reference})" if refund.reference else ""
    return _add(
        order, "refund_succeeded", f"Refund of {money} made through {refund.provider}{ref}."
    )


def refund_failed(order: Order, refund) -> OrderEvent:
    money = format_money(refund.amount, order.currency, current_app.config["LOCALE"])
    return _add(
        order, "refund_failed",
        f"Refund of {money} failed at {refund.provider}: {refund.last_error}",
    )  # fmt: skip


def backorder_cancelled(order: Order, items: str, user=None) -> OrderEvent:
    who = " by staff" if getattr(user, "is_staff", False) else ""
    return _add(order, "backorder_cancelled", f"Backordered items cancelled{who}: {items}.", user)


def cancellation_emailed(order: Order) -> OrderEvent:
    return _add(order, "email", f"Cancellation notice emailed to {order.email}.")


def refund_rejected(order: Order, provider: str, reason: str) -> OrderEvent:
    return _add(order, "refund_rejected", f"Refund reported by {provider} rejected: {reason}")


def refund_retried(order: Order, refund, user=None) -> OrderEvent:
    money = format_money(refund.amount, order.currency, current_app.config["LOCALE"])
    return _add(order, "refund_retried", f"Refund of {money} sent again.", user)


def backorder_delayed(order: Order, moved: str, why: str, user=None) -> OrderEvent:
    """Backordered lines' ship dates moved later (shop.backorders.repromise); emailed."""
    message = f"Expected ship date moved later: {moved}. {why} Customer emailed."
    return _add(order, "backorder_delayed", message[:500], user)


def backorder_sooner(order: Order, moved: str, user=None) -> OrderEvent:
    """Backordered lines' ship dates moved earlier: shown on the order page, not emailed."""
    return _add(
        order, "backorder_sooner", f"Expected ship date moved earlier: {moved}."[:500], user
    )


# --- returns (shop.returns.services) ------------------------------------------------


def return_event(order: Order, kind: str, message: str, user=None) -> OrderEvent:
    """A step of a return request: requested, authorised, refused, received, refunded."""
    return _add(order, f"return_{kind}", message, user)
