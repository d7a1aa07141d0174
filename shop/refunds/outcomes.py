"""A provider's answer about one refund of ours: it succeeded or failed.

The answer comes by the API's reply (shop.refunds.providers) or in a webhook's
report (shop.refunds.provider_events); either way it goes through the payments'
apply_event(), so a reply and a webhook about the same refund are applied once
between them, with the order locked. A status only moves forward.
"""

import sqlalchemy as sa

from shop import locks
from shop.db import utcnow
from shop.orders import events
from shop.orders.models import Order, Payment
from shop.payments.services import REFUND_SUCCEEDED, PaymentEventData, apply_event
from shop.refunds import status as st
from shop.refunds.models import Refund


def apply_refund_reply(data: PaymentEventData) -> str:
    """Apply a provider's REFUND_SUCCEEDED or REFUND_FAILED about a refund once; returns
    what was done, for logs."""
    return apply_event(data, apply_reply_outcome)


def apply_reply_outcome(data: PaymentEventData, payment: Payment | None, order: Order) -> str:
    """The reply applied to the locked order's refund, if the order was paid through
    the provider that answers."""
    if order.payment_provider != data.provider:
        reason = f"the order was paid through {order.payment_provider}, not {data.provider}"
        events.payment_rejected(order, data.provider, reason)
        return "rejected: " + reason
    return apply_refund_outcome(
        order=order, refund_id=data.refund_id, reference=data.refund_reference,
        succeeded=data.outcome == REFUND_SUCCEEDED, reason=data.reason,
    )  # fmt: skip


def apply_refund_outcome(
    *, order: Order, refund_id: int | None, reference: str | None, succeeded: bool,
    reason: str = "",
) -> str:  # fmt: skip
    """A provider says a refund succeeded or failed: called under the order's lock, once
    per provider event. Returns what was done, for logs."""
    refund = _find_refund(order, refund_id, reference)
    if refund is None:
        return "no matching refund"
    if reference and refund.reference is None:
        refund.reference = reference
    new = st.SUCCEEDED if succeeded else st.FAILED
    if refund.status == new or refund.status == st.SUCCEEDED:
        return f"ignored: refund already {refund.status}"
    st.check_transition(refund.status, new)
    refund.status = new
    refund.next_attempt_at = None
    if succeeded:
        refund.succeeded_at = utcnow()
        events.refund_succeeded(order, refund)
        return "refund succeeded"
    refund.last_error = (reason or "refused by the provider")[:500]
    events.refund_failed(order, refund)
    return "refund failed"


def _find_refund(order: Order, refund_id: int | None, reference: str | None) -> Refund | None:
    conditions = []
    if refund_id is not None:
        conditions.append(Refund.id == refund_id)
    if reference:
        conditions.append(Refund.reference == reference)
    if not conditions:
        return None
    found = locks.lock_refunds(Refund.order_id == order.id, sa.or_(*conditions))
    return found[0] if found else None
