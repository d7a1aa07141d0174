"""What a payment provider reports about refunds, applied to the store's own.

apply_provider_event() is the door for every event a provider's webhook brings:
payments go to shop.payments (apply_payment_outcome), refund replies to
shop.refunds.outcomes, and refund reports to apply_refund_reports(), each with
the order locked, once per provider event (the payments' apply_event()). A refund
of ours (found by the provider's id, or by our id in the metadata when its webhook
comes before the API's answer was recorded) settles:
pending becomes refunded or failed. A refund we do not know was made in the
provider's dashboard: it becomes a refund of the store's (reason PROVIDER) through
the one refund use case, with its credit note, entries and email. Statuses only
move forward, so a duplicate, late or reordered report changes nothing.
"""

from flask import current_app

from shop import locks
from shop.extensions import db
from shop.money import format_money
from shop.orders import events
from shop.orders.models import Order, Payment
from shop.payments.services import (
    REFUND,
    REFUND_FAILED,
    REFUND_SUCCEEDED,
    PaymentEventData,
    apply_event,
    apply_payment_outcome,
)
from shop.refunds import services as refunds
from shop.refunds import status as refund_status
from shop.refunds.models import Refund
from shop.refunds.outcomes import apply_refund_outcome, apply_reply_outcome

SETTLED = {"succeeded": refund_status.SUCCEEDED, "failed": refund_status.FAILED,
           "canceled": refund_status.FAILED}  # fmt: skip
PROVIDER_NAMES = {"stripe": "Stripe", "demo": "the demo provider"}


def apply_provider_event(data: PaymentEventData) -> str:
    """Apply a provider's event, about a payment or a refund, to its order once; returns
    what was done, for logs."""
    return apply_event(data, _apply)


def _apply(data: PaymentEventData, payment: Payment | None, order: Order) -> str:
    if data.outcome in (REFUND_SUCCEEDED, REFUND_FAILED):
        return apply_reply_outcome(data, payment, order)
    if data.outcome == REFUND:
        return apply_refund_reports(data, payment, order)
    return apply_payment_outcome(data, payment, order)


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
        return _from_dashboard(report, provider, order)
    if refund.reference is None:  # its webhook came before our call's answer was recorded
        refund.reference = report.reference
        refund.next_attempt_at = None  # made: not to be sent again
    elif refund.reference != report.reference:
        return f"ignored: refund {refund.id} is {refund.reference}, not {report.reference}"
    return f"refund {refund.id}: " + settle(refund, report)


def _ours(report, provider: str, order: Order) -> Refund | None:
    found = locks.lock_refunds(Refund.provider == provider, Refund.reference == report.reference)
    if not found and report.refund_id is not None:
        found = locks.lock_refunds(
            Refund.id == report.refund_id, Refund.order_id == order.id, Refund.provider == provider
        )
    return found[0] if found else None


def settle(refund: Refund, report) -> str:
    """What the provider says of the refund now, applied if it settles it (the refund use
    case's apply_refund_outcome: a status only moves forward)."""
    settled = SETTLED.get(report.status)
    if settled is None and refund.status != refund_status.PENDING:  # an older report
        return f"ignored: refund already {refund.status}"
    if settled is None:  # pending, requires_action: wait for the next report
        db.session.flush()
        return f"still {report.status or 'pending'}"
    return apply_refund_outcome(
        order=refund.order, refund_id=refund.id, reference=report.reference,
        succeeded=settled == refund_status.SUCCEEDED,
        reason=report.failure_reason or f"{report.status} at the provider",
    )  # fmt: skip


def _from_dashboard(report, provider: str, order: Order) -> str:
    """A refund we did not ask for: made in the provider's dashboard. It becomes the store's
    own (reason PROVIDER): credit note, reversing entries, the customer's email."""
    if SETTLED.get(report.status) == refund_status.FAILED:
        return f"ignored: {report.reference} failed and gave nothing back"
    name = PROVIDER_NAMES.get(provider, provider)
    try:
        with db.session.begin_nested():
            refund = refunds.refund_amount(
                order=order, amount=report.amount, reason=refund_status.PROVIDER,
                note=f"Refunded in {name}'s dashboard ({report.reference})",
                reference=report.reference,
            )  # fmt: skip
            refund.next_attempt_at = None  # the provider made it: never sent from here
            db.session.flush()
    except refund_status.RefundError as err:
        return _reject(
            order, provider,
            f"{report.reference} of {_money(report.amount, order)} made in {name}: "
            f"{err.message} Check it in {name}.",
        )  # fmt: skip
    return f"refund {refund.id} made in the dashboard: " + settle(refund, report)


def _money(amount: int, order: Order) -> str:
    return format_money(amount, order.currency, current_app.config["LOCALE"])


def _reject(order: Order, provider: str, reason: str) -> str:
    current_app.logger.error("refund event for order %s rejected: %s", order.number, reason)
    events.refund_rejected(order, PROVIDER_NAMES.get(provider, provider), reason)
    return "rejected: " + reason
