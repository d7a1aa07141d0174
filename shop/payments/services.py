"""apply_payment_event(): the door through which any provider's payment changes an order.

Paid means the same thing whether the demo provider or Stripe says so. Each
provider event is applied once (a unique key on its id, apply_event()); an amount
or currency that does not match the order is refused and written in the order's
history. A provider's events about refunds go through the same apply_event(), from
shop.refunds (provider_events.apply_provider_event, outcomes.apply_refund_reply).
Money that arrives for an order whose items were sold meanwhile (and may not be
backordered), or for an order cancelled while its payment page was still open,
does not pay it: the outcome is REFUND_DUE, and the provider gives the money back
(record_refund).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import partial

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.extensions import db
from shop.orders import events
from shop.orders import services as orders
from shop.orders import status as st
from shop.orders.errors import CannotSupply
from shop.orders.models import Order, Payment, PaymentEvent

SUCCEEDED = "succeeded"
FAILED = "failed"
EXPIRED = "expired"
IGNORED = "ignored"
REFUNDED = "refunded"  # a payment's status once its money went back
REFUND_DUE = "refund due: the items can no longer be supplied"
# A provider's answer about a refund the store asked for (or one made in its dashboard).
REFUND_SUCCEEDED = "refund_succeeded"
REFUND_FAILED = "refund_failed"
# A provider's webhook reports refunds of a payment, settled or not, ours or its dashboard's.
REFUND = "refund"


@dataclass(frozen=True)
class RefundReport:
    """One refund as the provider reports it."""

    reference: str  # the provider's refund id (Stripe's re_...)
    amount: int  # minor units
    currency: str
    status: str  # the provider's: succeeded, pending, failed, canceled, requires_action
    refund_id: int | None = None  # our Refund.id, from the metadata we sent with it
    failure_reason: str = ""


@dataclass(frozen=True)
class PaymentEventData:
    provider: str
    event_id: str
    event_type: str
    outcome: str  # SUCCEEDED, FAILED, EXPIRED, REFUND or IGNORED
    reference: str | None = None  # our Payment.reference (e.g. the Checkout Session id)
    order_id: int | None = None
    amount: int | None = None  # minor units
    currency: str | None = None
    method: str = ""  # e.g. "Visa ending 4242"
    reason: str = ""
    refund_id: int | None = None  # our Refund.id, when the provider carries it back
    refund_reference: str | None = None  # the provider's id of the refund (Stripe's re_...)
    charge_reference: str | None = None  # what a refund is made against (Stripe's PaymentIntent)
    refunds: tuple[RefundReport, ...] = ()  # outcome REFUND: the refunds the event reports


def already_applied(provider: str, event_id: str) -> bool:
    query = sa.select(PaymentEvent.id).where(
        PaymentEvent.provider == provider, PaymentEvent.event_id == event_id
    )
    return db.session.scalar(query) is not None


def apply_payment_event(data: PaymentEventData, *, now: datetime | None = None) -> str:
    """Apply a provider's payment event to its order once; returns what was done, for logs.

    `now` is when a payment counts as received (the current time unless given)."""
    return apply_event(data, partial(apply_payment_outcome, now=now))


def apply_event(data: PaymentEventData, apply) -> str:
    """Apply a provider's event once, with the order locked: `apply(data, payment, order)`
    says what it did, kept as the event's outcome; a second copy of the event is a
    "duplicate" and changes nothing."""
    if already_applied(data.provider, data.event_id):
        return "duplicate"
    record = PaymentEvent(
        provider=data.provider, event_id=data.event_id, event_type=data.event_type
    )
    db.session.add(record)
    db.session.flush()  # a concurrent copy of this event now fails on the unique key
    payment, order = _find(data)
    record.order_id = order.id if order else None
    record.outcome = apply(data, payment, order) if order else "no matching order"
    db.session.flush()
    return record.outcome


def _find(data: PaymentEventData) -> tuple[Payment | None, Order | None]:
    payment = None
    if data.reference:
        payment = db.session.scalar(
            sa.select(Payment).where(
                Payment.provider == data.provider, Payment.reference == data.reference
            )
        )
    elif data.outcome == REFUND and data.charge_reference:
        payment = db.session.scalar(
            sa.select(Payment).where(
                Payment.provider == data.provider,
                Payment.charge_reference == data.charge_reference,
            )
        )
    order_id = payment.order_id if payment else data.order_id
    if order_id is None:
        return None, None
    # Lock the order so two events for it (paid, expired) are applied one after the other.
    return payment, locks.lock_order(order_id)


def apply_payment_outcome(
    data: PaymentEventData, payment: Payment | None, order: Order, *, now: datetime | None = None
) -> str:
    """A payment succeeded, failed or expired (the order locked); anything else is ignored.
    A refund's outcome is not a payment's: it goes through shop.refunds, never lost here."""
    if data.outcome in (REFUND, REFUND_SUCCEEDED, REFUND_FAILED):
        raise ValueError(f"{data.outcome}: apply it with shop.refunds.provider_events")
    if data.outcome == SUCCEEDED:
        return _succeeded(data, payment, order, now)
    if data.outcome == FAILED:
        _close(payment, FAILED)
        if order.status != st.PENDING_PAYMENT:
            return f"ignored: order is {order.status}"
        orders.mark_payment_failed(order, provider=data.provider, reason=data.reason or "declined")
        return "order payment failed"
    if data.outcome == EXPIRED:
        _close(payment, EXPIRED)
        if order.status != st.PENDING_PAYMENT:
            return f"ignored: order is {order.status}"
        orders.expire_order(order)
        return "order expired"
    return "ignored"


def _close(payment: Payment | None, status: str) -> None:
    """A payment fails or expires; one that succeeded stays so: its money was taken, and a
    late or out-of-order event about it does not give it back."""
    if payment is not None and payment.status != SUCCEEDED:
        payment.status = status


def _succeeded(data: PaymentEventData, payment: Payment | None, order: Order, now=None) -> str:
    if data.amount != order.total or (data.currency or "").upper() != order.currency:
        reason = (
            f"amount {data.amount} {data.currency} does not match the order's "
            f"{order.total} {order.currency}"
        )
        current_app.logger.error("payment event %s rejected: %s", data.event_id, reason)
        events.payment_rejected(order, data.provider, reason)
        return "rejected: " + reason
    if payment is not None:
        payment.status, payment.method = SUCCEEDED, data.method
        if data.charge_reference:  # what a refund of this payment is made against
            payment.charge_reference = data.charge_reference
    if order.status == st.CANCELLED:  # paid on a page left open after cancelling: give it back
        current_app.logger.error(
            "payment event %s for order %s: the order was cancelled", data.event_id, order.number
        )
        return REFUND_DUE
    if order.status not in (st.PENDING_PAYMENT, *st.RELEASED):
        return f"ignored: order is already {order.status}"
    try:
        orders.mark_paid(
            order, provider=data.provider, amount=data.amount, method=data.method, now=now
        )
    except CannotSupply as err:  # sold to someone else since this order gave its stock back
        current_app.logger.error(
            "payment event %s for order %s: %s", data.event_id, order.number, err.message
        )
        return REFUND_DUE
    return "order paid"


def record_refund(data: PaymentEventData, *, refund_id: str) -> str:
    """The provider gave back the money of a REFUND_DUE event: the payment is marked
    refunded, the order's history says why and the customer is told by email."""
    payment, order = _find(data)
    if payment is not None:
        payment.status = REFUNDED
    if order.status == st.CANCELLED:
        orders.refund_cancelled(
            order, provider=data.provider, amount=data.amount, refund_id=refund_id
        )
        outcome = "refunded: the order was cancelled"
    else:
        orders.refund_unsupplied(
            order, provider=data.provider, amount=data.amount, refund_id=refund_id
        )
        outcome = "refunded: the items can no longer be supplied"
    record = db.session.scalar(
        sa.select(PaymentEvent).where(
            PaymentEvent.provider == data.provider, PaymentEvent.event_id == data.event_id
        )
    )
    if record is not None:
        record.outcome = outcome
    db.session.flush()
    return outcome
