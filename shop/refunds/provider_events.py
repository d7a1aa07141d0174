"""What a payment provider reports about refunds, applied to the store's own.

apply_payment_event() calls apply_refund_reports() with the order locked, once per
provider event. A refund of ours (found by the provider's id, or by our id in the
metadata when its webhook comes before the API's answer was recorded) settles:
pending becomes refunded or failed. A refund we do not know was made in the
provider's dashboard: it becomes a refund of the store's (reason PROVIDER) through
the one refund use case, with its credit note, entries and email. Statuses only
move forward, so a duplicate, late or reordered report changes nothing.
"""

import sqlalchemy as sa
from flask import current_app

from shop.db import utcnow
from shop.extensions import db
from shop.money import format_money
from shop.orders import events
from shop.orders.models import Order, Payment
from shop.refunds import status as refund_status
from shop.refunds.models import Refund

SETTLED = {"succeeded": refund_status.SUCCEEDED, "failed": refund_status.FAILED,
           "canceled": refund_status.FAILED}  # fmt: skip
PROVIDER_NAMES = {"stripe": "Stripe", "demo": "the demo provider"}


def apply_refund_reports(data, payment: Payment | None, order: Order) -> str:
    """Apply every refund an event reports; returns what was done, for the logs."""
    provider = PROVIDER_NAMES.get(data.provider, data.provider)
    if payment is None or payment.provider != data.provider:
        return _reject(order, data.provider, f"the order was not paid through {provider}")
    if payment.status == "refunded":  # given back at once as unsuppliable: already told
        return "ignored: the payment was refunded as its items could not be supplied"
    done = [_apply_one(report, data.provider, payment, order) for report in data.refunds]
    return "; ".join(done) or "ignored: no refunds"


def _apply_one(report, provider: str, payment: Payment, order: Order) -> str:
    if report.currency != order.currency:
        return _reject(
            order, provider,
            f"refund {report.reference} is in {report.currency}, the order in {order.currency}",
        )  # fmt: skip
    refund = _ours(report, provider, order)
    if refund is None:
        return _from_dashboard(report, provider, payment, order)
    if refund.reference is None:  # its webhook came before our call's answer was recorded
        refund.reference = report.reference
    elif refund.reference != report.reference:
        return f"ignored: refund {refund.id} is {refund.reference}, not {report.reference}"
    return settle(refund, report.status, report.failure_reason)


def _ours(report, provider: str, order: Order) -> Refund | None:
    query = sa.select(Refund).where(
        Refund.provider == provider, Refund.reference == report.reference
    )
    refund = db.session.scalar(_locked(query))
    if refund is None and report.refund_id is not None:
        query = sa.select(Refund).where(
            Refund.id == report.refund_id, Refund.order_id == order.id, Refund.provider == provider
        )
        refund = db.session.scalar(_locked(query))
    return refund


def _locked(query):
    """The refund as it is now, under its row lock (its order is locked already)."""
    return query.with_for_update().execution_options(populate_existing=True)


def settle(refund: Refund, provider_status: str, failure_reason: str = "") -> str:
    """Move a refund of ours to what the provider says of it, if that is a step forward."""
    new = SETTLED.get(provider_status)
    if new is None and refund.status != refund_status.PENDING:  # an older report
        return f"refund {refund.id}: already {refund.status}"
    if new is None:  # pending, requires_action: wait for the next report
        return f"refund {refund.id}: still {provider_status or 'pending'}"
    if refund.status == new:
        return f"refund {refund.id}: already {refund.status}"
    if new == refund_status.FAILED and refund.status == refund_status.SUCCEEDED:
        # Stripe reports a refund that succeeded and later failed (a closed account);
        # the money did not go back: staff must act, the books keep what they say.
        current_app.logger.error("refund %s succeeded and then failed: %s", refund.id,
                                 failure_reason)  # fmt: skip
    refund_status.check_transition(refund.status, new)
    refund.status = new
    refund.next_attempt_at = None
    name = PROVIDER_NAMES.get(refund.provider, refund.provider)
    if new == refund_status.SUCCEEDED:
        refund.succeeded_at = utcnow()
        refund.last_error = ""
        events.refund_succeeded(refund.order, name, refund.amount, refund.reference or "")
    else:
        refund.last_error = (failure_reason or "refused")[:500]
        events.refund_failed(refund.order, name, refund.amount, refund.last_error)
    db.session.flush()
    return f"refund {refund.id}: {new}"


def _from_dashboard(report, provider: str, payment: Payment, order: Order) -> str:
    if SETTLED.get(report.status) == refund_status.FAILED:
        return f"ignored: {report.reference} failed and gave nothing back"
    from shop.refunds import services as refunds

    left = refunds.refundable_amount(order)
    if report.amount > left:
        locale = current_app.config["LOCALE"]
        return _reject(
            order, provider,
            f"{report.reference} gave back {format_money(report.amount, order.currency, locale)}, "
            f"more than the {format_money(left, order.currency, locale)} left to refund; "
            "check it in the payment provider",
        )  # fmt: skip
    try:
        with db.session.begin_nested():
            refund = refunds.refund_order(
                order=order,
                lines={},
                amount=report.amount,
                reason=refund_status.PROVIDER,
                note=f"Refunded in {PROVIDER_NAMES.get(provider, provider)} ({report.reference}).",
                user=None,
            )
            refund.reference, refund.payment = report.reference, payment
            db.session.flush()
    except refund_status.RefundError as err:
        return _reject(order, provider, f"{report.reference}: {err.message}")
    return f"refund {refund.id} made in the dashboard; " + settle(refund, report.status)


def _reject(order: Order, provider: str, reason: str) -> str:
    current_app.logger.error("refund event for order %s rejected: %s", order.number, reason)
    events.refund_rejected(order, PROVIDER_NAMES.get(provider, provider), reason)
    return "rejected: " + reason
