"""Sending a decided refund to the provider that took the money, and applying its reply.

The reply goes through apply_refund_reply() (the payments' apply_event(), like every
provider event), so a reply and a webhook about the same refund are applied once
between them.
"""

import secrets

from shop.payments import demo, stripe_gateway
from shop.payments.services import REFUND_FAILED, REFUND_SUCCEEDED, PaymentEventData
from shop.refunds.models import Refund
from shop.refunds.outcomes import apply_refund_reply

# Stripe's statuses of a refund: still on its way, or settled one way or the other.
STRIPE_SETTLED = {"succeeded": REFUND_SUCCEEDED, "failed": REFUND_FAILED, "canceled": REFUND_FAILED}


def send(refund: Refund) -> str:
    """Ask the refund's provider to give the money back; returns what was done."""
    if refund.provider == demo.NAME:
        return _apply(refund, f"demo_re_{secrets.token_hex(12)}", REFUND_SUCCEEDED)
    if refund.provider == stripe_gateway.NAME:
        try:
            reference, status = stripe_gateway.refund_payment(refund)
        except stripe_gateway.StripeRefusedRefund as err:  # for good: failed, shown to staff
            return _refused(refund, err.message)
        refund.reference = reference
        if status not in STRIPE_SETTLED:  # pending: Stripe's webhook will say how it ended
            refund.next_attempt_at = None
            return f"sent: Stripe says {status}"
        return _apply(refund, reference, STRIPE_SETTLED[status], reason=f"Stripe says {status}")
    raise ValueError(f"no provider {refund.provider!r} to refund through")


def _apply(refund: Refund, reference: str, outcome: str, reason: str = "") -> str:
    return apply_refund_reply(
        PaymentEventData(
            provider=refund.provider,
            event_id=f"{refund.provider}:refund-reply:{reference}",
            event_type=f"{refund.provider}.refund.reply",
            outcome=outcome,
            order_id=refund.order_id,
            amount=refund.amount,
            currency=refund.currency,
            refund_id=refund.id,
            refund_reference=reference,
            reason=reason,
        )
    )


def _refused(refund: Refund, reason: str) -> str:
    """The provider answered and refused the refund: it fails (no provider id to record)."""
    return apply_refund_reply(
        PaymentEventData(
            provider=refund.provider,
            event_id=f"{refund.provider}:refund-refused:{refund.id}:{refund.idempotency_token}",
            event_type=f"{refund.provider}.refund.refused",
            outcome=REFUND_FAILED,
            order_id=refund.order_id,
            amount=refund.amount,
            currency=refund.currency,
            refund_id=refund.id,
            reason=reason,
        )
    )
