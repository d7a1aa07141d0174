"""Stripe's webhooks, one door: verified, then each event handed to the package it is about.

Payments and refunds go through shop.refunds.provider_events.apply_provider_event()
(payments to shop.payments, refund reports and replies to shop.refunds), the fee of
a charge to the books (stripe_gateway.record_fee), payouts to shop.payouts. It sits
above all three, so none of them imports another to dispatch.
"""

from flask import current_app

from shop.payments import stripe_gateway
from shop.payments.services import REFUND_DUE, record_refund
from shop.payouts.stripe_events import PAYOUT_EVENTS, record_payout_event
from shop.refunds.provider_events import apply_provider_event


def handle_webhook(payload: bytes, signature: str | None) -> str:
    """Verify and apply one webhook delivery; returns what was done."""
    event = stripe_gateway.parse_webhook(payload, signature)
    if event.type == "charge.updated":
        return stripe_gateway.record_fee(event)
    if event.type in PAYOUT_EVENTS:
        return record_payout_event(event)
    try:
        data = (
            stripe_gateway.refund_event_data(event)
            if event.type in stripe_gateway.REFUND_EVENTS
            else stripe_gateway.event_data(event)
        )
    except (KeyError, TypeError, ValueError) as err:  # signed, but not as Stripe sends it
        current_app.logger.error("Stripe event %s could not be read: %r", event.id, err)
        return f"ignored: {event.type} could not be read"
    outcome = apply_provider_event(data)
    if outcome == REFUND_DUE:
        intent = stripe_gateway.id_of(event.data.object.to_dict().get("payment_intent"))
        refund_id = stripe_gateway.refund(intent, order_id=data.order_id)
        return record_refund(data, refund_id=refund_id)
    return outcome
