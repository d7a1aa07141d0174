"""Stripe's payout events: money from processor clearing to the bank, or back.

shop.stripe_webhooks hands payout.paid and payout.failed here; each is applied once,
kept by its id like the payment events (stripe_gateway.apply_once). The event is
stripe_gateway.parse_webhook()'s: only that module imports stripe.
"""

from datetime import UTC, datetime

from flask import current_app

from shop import clock
from shop.db import utcnow
from shop.formatting import plural
from shop.orders.models import PaymentEvent
from shop.payments import stripe_gateway
from shop.payouts import services as payouts

NAME = stripe_gateway.NAME
PAYOUT_EVENTS = ("payout.paid", "payout.failed")


def record_payout_event(event) -> str:
    """payout.paid posts bank / processor clearing for the payout's amount (net of fees),
    dated its arrival; payout.failed after it reverses it. Fees of the payout's charges
    that no charge.updated brought yet are fetched first, so clearing empties to the cent."""
    return stripe_gateway.apply_once(event, _apply_payout)


def _apply_payout(obj: dict, record: PaymentEvent) -> str:
    payout_id, amount, currency = obj["id"], int(obj["amount"]), obj["currency"]
    arrival = datetime.fromtimestamp(int(obj["arrival_date"]), UTC).date()  # midnight UTC
    try:
        if record.event_type == "payout.failed":
            payouts.fail_payout(
                provider=NAME, payout_id=payout_id, amount=amount, currency=currency,
                on=clock.store_date(utcnow()),
            )  # fmt: skip
            return "payout failed"
        # Stripe lists a payout's transactions for automatic payouts only.
        fees = stripe_gateway.fetch_missing_fees(payout_id) if obj.get("automatic") else 0
        payouts.record_payout(
            provider=NAME, payout_id=payout_id, amount=amount, currency=currency,
            arrival_date=arrival,
        )  # fmt: skip
    except payouts.PayoutError as err:
        current_app.logger.error("Stripe payout %s refused: %s", payout_id, err.message)
        return "rejected: " + err.message
    return f"payout posted ({plural(fees, 'fee')} fetched)" if fees else "payout posted"
