"""Stripe: Checkout Sessions out, signed webhooks in. The only module that imports stripe.

Card data never touches our server: the customer pays on Stripe's page. The
amount is the order's total computed here; every create call carries an
idempotency key; webhooks are verified against the raw body (parse_webhook())
and translated into the store's own events (event_data(), refund_event_data()),
which shop.stripe_webhooks applies: payments and refunds like every other
provider's events, charge.updated's fee for the books (record_fee()), and
payout.paid / payout.failed in shop.payouts. Money that arrives for what can no
longer be supplied is refunded at once (refund()). The store's refunds go out
through refund_payment() (the Refund API, one idempotency key per refund);
Stripe's refund events (REFUND_EVENTS) come back as reports of each refund.
"""

import hashlib
import time
from datetime import UTC, datetime

import stripe
from flask import current_app

from shop import clock
from shop.accounting import services as books
from shop.errors import DomainError
from shop.extensions import db
from shop.orders.models import Order, Payment, PaymentEvent
from shop.payments.services import (
    EXPIRED,
    FAILED,
    IGNORED,
    REFUND,
    SUCCEEDED,
    PaymentEventData,
    RefundReport,
    already_applied,
)

NAME = "stripe"


class StripeUnavailable(DomainError):
    """Stripe could not be reached or refused the request."""


class BadWebhook(Exception):
    """A webhook whose signature or body does not hold up."""


def client() -> stripe.StripeClient:
    cfg = current_app.config
    options = {
        "max_network_retries": cfg["STRIPE_MAX_NETWORK_RETRIES"],
        # Well below gunicorn's worker timeout, so a slow Stripe is an error page, not a kill.
        "http_client": stripe.RequestsClient(timeout=cfg["STRIPE_TIMEOUT_SECONDS"]),
    }
    if cfg.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": cfg["STRIPE_API_BASE"]}
    return stripe.StripeClient(cfg["STRIPE_SECRET_KEY"], **options)


def start_payment(order: Order, *, success_url: str, cancel_url: str) -> Payment:
    """Create a Checkout Session for the order's total and remember it as a payment."""
    attempt = len(order.payments) + 1
    params = {
        "mode": "payment",
        "client_reference_id": str(order.id),
        "customer_email": order.email,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": order.total,
                    "product_data": {"name": f"Order {order.number}"},
                },
            }
        ],
        "metadata": {"order_id": str(order.id), "order_number": order.number},
        "payment_intent_data": {"metadata": {"order_id": str(order.id)}},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(order.expires_at.timestamp()),
    }
    try:
        session = client().v1.checkout.sessions.create(
            params, {"idempotency_key": idempotency_key(order, attempt)}
        )
    except stripe.StripeError as exc:
        current_app.logger.error("Stripe refused a checkout session: %s", exc)
        raise StripeUnavailable(
            "We could not reach our payment provider. Nothing was charged; please try again."
        ) from exc
    payment = Payment(
        provider=NAME,
        reference=session.id,
        amount=order.total,
        currency=order.currency,
        checkout_url=session.url,
    )
    order.payments.append(payment)
    db.session.flush()
    return payment


def idempotency_key(order: Order, attempt: int) -> str:
    """The same for every try of one attempt, and never shared with another order.

    An id alone is not enough: an order rolled back after Stripe created its
    session (a lost answer) leaves its id to the next order on SQLite, and a
    reset database starts again at 1, while Stripe keeps keys for 24 hours.
    """
    unique = hashlib.sha256(order.access_token.encode()).hexdigest()[:16]
    return f"order-{order.id}-{unique}-checkout-{attempt}"


def checkout_url_for(order: Order, *, success_url: str, cancel_url: str) -> str:
    """Where the customer pays: the open session's page, or a new session's.

    A new session is made when there is none yet (Stripe was unreachable when the
    order was placed) or the last one closed (a delayed payment failed).
    """
    open_payment = next(
        (p for p in reversed(order.payments) if p.provider == NAME and p.status == "pending"), None
    )
    if open_payment is None or not open_payment.checkout_url:
        open_payment = start_payment(order, success_url=success_url, cancel_url=cancel_url)
    return open_payment.checkout_url


def parse_webhook(payload: bytes, signature: str | None) -> stripe.Event:
    """The event, if its Stripe-Signature matches the raw body and is recent."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not signature:
        raise BadWebhook("missing signature or webhook secret")
    tolerance = current_app.config["STRIPE_WEBHOOK_TOLERANCE"]
    _check_not_ahead(signature, tolerance)
    try:
        return stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise BadWebhook(str(exc)) from exc


def _check_not_ahead(signature: str, tolerance: int) -> None:
    # stripe.Webhook refuses a signature older than the tolerance but takes one dated
    # in the future, which would let a captured delivery be replayed until that date.
    items = [item.strip() for item in signature.split(",")]
    try:
        signed_at = int(next(item[2:] for item in items if item.startswith("t=")))
    except (StopIteration, ValueError) as exc:
        raise BadWebhook("no timestamp in the signature") from exc
    if signed_at > time.time() + tolerance:
        raise BadWebhook("signature timestamp is in the future")


SESSION_OUTCOMES = {
    "checkout.session.async_payment_succeeded": SUCCEEDED,
    "checkout.session.async_payment_failed": FAILED,
    "checkout.session.expired": EXPIRED,
}


def event_data(event: stripe.Event) -> PaymentEventData:
    """Translate a Stripe event into the store's own payment event."""
    # A StripeObject is not a dict (no .get): read the event's object as plain data.
    obj = event.data.object.to_dict()
    kind = event.type
    if kind.startswith("checkout.session."):
        outcome = SESSION_OUTCOMES.get(kind, IGNORED)
        if kind == "checkout.session.completed":
            # Delayed methods complete "unpaid" and succeed later (async_payment_succeeded).
            outcome = SUCCEEDED if obj.get("payment_status") == "paid" else IGNORED
        return PaymentEventData(
            provider=NAME,
            event_id=event.id,
            event_type=kind,
            outcome=outcome,
            reference=obj.get("id"),
            order_id=_order_id(obj),
            amount=obj.get("amount_total"),
            currency=(obj.get("currency") or "").upper(),
            method="Card (Stripe)",
            charge_reference=id_of(obj.get("payment_intent")),
        )
    if kind == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        return PaymentEventData(
            provider=NAME,
            event_id=event.id,
            event_type=kind,
            outcome=FAILED,
            order_id=_order_id(obj),
            reason=error.get("message") or "declined",
        )
    return PaymentEventData(provider=NAME, event_id=event.id, event_type=kind, outcome=IGNORED)


def _order_id(obj) -> int | None:
    metadata = obj.get("metadata") or {}
    value = metadata.get("order_id") or obj.get("client_reference_id")
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def refund(payment_intent: str, *, order_id: int | None) -> str:
    """Give all of a PaymentIntent's money back; returns the refund's id.

    The key is the PaymentIntent's own: a webhook retried after a failure asks
    again with the same key and Stripe answers with the refund it already made.
    If Stripe cannot be reached, StripeUnavailable undoes the event's changes
    and Stripe delivers the event again later.
    """
    params = {"payment_intent": payment_intent, "metadata": {"order_id": str(order_id or "")}}
    made = _stripe_call(
        lambda api: api.v1.refunds.create(params, {"idempotency_key": f"refund-{payment_intent}"})
    )
    return made.id


# --- refunds: ours through the Refund API, and any Stripe reports --------------------


class StripeRefusedRefund(StripeUnavailable):
    """Stripe answered and refused this refund (more than is left on the charge, a card
    that cannot take it back): asking again will not help, staff must act. It is a
    StripeUnavailable so a caller that catches only that still never loses the refund."""

    permanent = True


def refund_payment(refund) -> tuple[str, str]:
    """(Stripe refund id, Stripe's status: 'succeeded' | 'pending' | 'failed' |
    'requires_action' | 'canceled') of a Refund of ours for `refund.amount`.

    Made against the payment's PaymentIntent, with our ids in the metadata (so its
    webhooks find it even before this answer is recorded) and a key that is the same
    for every retry of this refund: Stripe answers a retry with the refund it made.
    Raises StripeUnavailable when Stripe cannot be reached or fails (retry later), and
    StripeRefusedRefund with a clear message when Stripe refuses it for good.
    """
    intent = payment_intent_of(refund.payment)
    params = {
        "payment_intent": intent,
        "amount": refund.amount,
        "metadata": {"refund_id": str(refund.id), "order_id": str(refund.order_id)},
    }
    try:
        made = client().v1.refunds.create(
            params, {"idempotency_key": refund_idempotency_key(refund)}
        )
    except (stripe.InvalidRequestError, stripe.CardError, stripe.IdempotencyError) as exc:
        current_app.logger.error("Stripe refused refund %s: %s", refund.id, exc)
        raise StripeRefusedRefund(_refusal(exc, refund)) from exc
    except stripe.StripeError as exc:
        current_app.logger.error("Stripe could not make refund %s: %s", refund.id, exc)
        raise StripeUnavailable(
            "Stripe could not be reached; the refund is kept and will be tried again."
        ) from exc
    return made.id, made.status


def _refusal(exc: stripe.StripeError, refund) -> str:
    code = getattr(exc, "code", None)
    if code == "amount_too_large":
        return (
            "Stripe refused the refund: it is more than is left to refund on the payment "
            "(was part of it refunded in Stripe's dashboard?)."
        )
    if code == "charge_already_refunded":
        return "Stripe refused the refund: the payment was already refunded in full."
    message = getattr(exc, "user_message", None) or str(exc) or "no reason given"
    return f"Stripe refused the refund: {message}"


def refund_idempotency_key(refund) -> str:
    """The same for every retry of one refund, and never shared with another.

    The id alone is not enough (a reset database starts again at 1 while Stripe
    keeps keys for 24 hours): it is joined to the refund's random token, committed
    with the refund before Stripe is asked. A failed refund sent again by staff gets
    a new token (Stripe would answer the old key with the old failure).
    """
    return f"refund-{refund.id}-{refund.idempotency_token}"


def payment_intent_of(payment: Payment) -> str:
    """What a refund of the payment is made against: its PaymentIntent, kept when it was
    paid; a payment made before it was kept asks Stripe for its Checkout Session."""
    if not payment.charge_reference:
        session = _stripe_call(lambda api: api.v1.checkout.sessions.retrieve(payment.reference))
        payment.charge_reference = id_of(session.payment_intent)
    return payment.charge_reference


REFUND_EVENTS = (
    "charge.refunded",  # the charge, with its refunds (and what is refunded in all)
    "refund.created",  # the refund itself, ours or made in the dashboard
    "refund.updated",  # e.g. a pending refund that succeeded or failed
    "refund.failed",
    "charge.refund.updated",  # the older name of refund.updated
)


def refund_event_data(event: stripe.Event) -> PaymentEventData:
    """Translate a Stripe refund event into the store's own: the refunds it reports."""
    obj = event.data.object.to_dict()
    if event.type == "charge.refunded":
        listed = (obj.get("refunds") or {}).get("data")
        if listed is None:  # newer API versions leave the charge's refunds out
            found = _stripe_call(lambda api: api.v1.refunds.list({"charge": obj["id"]}))
            listed = [r.to_dict() for r in found.auto_paging_iter()]
    else:
        listed = [obj]
    reports = tuple(
        RefundReport(
            reference=r["id"],
            amount=int(r["amount"]),
            currency=(r.get("currency") or "").upper(),
            status=r.get("status") or "",
            refund_id=_refund_id(r),
            failure_reason=r.get("failure_reason") or "",
        )
        for r in listed
    )
    order_id = next((_order_id(r) for r in listed if _order_id(r) is not None), _order_id(obj))
    return PaymentEventData(
        provider=NAME,
        event_id=event.id,
        event_type=event.type,
        outcome=REFUND,
        order_id=order_id,
        charge_reference=id_of(obj.get("payment_intent")),
        refunds=reports,
    )


def _refund_id(obj: dict) -> int | None:
    text = str((obj.get("metadata") or {}).get("refund_id") or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


# --- the processor's fee ------------------------------------------------------------


def apply_once(event: stripe.Event, apply) -> str:
    """Apply a bookkeeping event once, kept by its id like the payment events."""
    if already_applied(NAME, event.id):
        return "duplicate"
    record = PaymentEvent(provider=NAME, event_id=event.id, event_type=event.type)
    db.session.add(record)
    db.session.flush()  # a concurrent copy of this event now fails on the unique key
    record.outcome = apply(event.data.object.to_dict(), record)
    db.session.flush()
    return record.outcome


def record_fee(event: stripe.Event) -> str:
    """charge.updated: once a charge has its balance transaction, Stripe's fee is known.

    Stripe settles a card payment a little after it succeeds, then sends
    charge.updated with the charge's new balance transaction; Stripe sends
    charge.updated for other changes too (a description, a receipt), which
    carry no new fee. The fee is posted once per balance transaction, whichever
    event brings it; every event is kept by its id like the others.
    """
    return apply_once(event, _post_fee)


def _post_fee(charge: dict, record: PaymentEvent) -> str:
    txn_id = id_of(charge.get("balance_transaction"))
    if not txn_id:
        return "ignored: no balance transaction yet"
    source_key = f"fee:{NAME}:{txn_id}"
    if books.already_posted(source_key) is not None:
        return "ignored: fee already posted"
    order = _order_of_charge(charge)
    if order is None:
        return "no matching order"
    record.order_id = order.id
    txn = _stripe_call(lambda api: api.v1.balance_transactions.retrieve(txn_id))
    return _post_fee_of(txn, order)


def _post_fee_of(txn, order: Order) -> str:
    """The fee of one charge's balance transaction, posted once by the transaction's id."""
    txn_id = txn.id
    currency = txn.currency.upper()
    if currency != current_app.config["BASE_CURRENCY"]:
        reason = (
            f"fee {txn.fee} {currency} of {txn_id} is not in the books' currency "
            f"{current_app.config['BASE_CURRENCY']}; post it by hand"
        )
        current_app.logger.error("Stripe fee for order %s refused: %s", order.number, reason)
        return "rejected: " + reason
    if not txn.fee:
        return "ignored: no fee"
    books.post_processor_fee(
        order=order, fee=txn.fee, source_key=f"fee:{NAME}:{txn_id}", provider="Stripe",
        on=clock.store_date(datetime.fromtimestamp(txn.created, UTC)),
    )  # fmt: skip
    return "fee posted"


def fetch_missing_fees(payout_id: str) -> int:
    """Post the fee of each charge in the payout whose fee is not in the books yet."""
    listed = _stripe_call(
        lambda api: api.v1.balance_transactions.list(
            {"payout": payout_id, "type": "charge", "limit": 100}
        )
    )
    posted = 0
    for txn in listed.auto_paging_iter():
        if books.already_posted(f"fee:{NAME}:{txn.id}") is not None or not txn.fee:
            continue
        charge = _stripe_call(lambda api, source=txn.source: api.v1.charges.retrieve(source))
        order = _order_of_charge(charge.to_dict())
        if order is not None and _post_fee_of(txn, order) == "fee posted":
            posted += 1
    return posted


def _order_of_charge(charge: dict) -> Order | None:
    """The charge's own metadata, else its PaymentIntent's (our session sets order_id there)."""
    order_id = _order_id(charge)
    intent = charge.get("payment_intent")
    if order_id is None and isinstance(intent, dict):  # expanded
        order_id = _order_id(intent)
    elif order_id is None and intent:
        found = _stripe_call(lambda api: api.v1.payment_intents.retrieve(intent))
        order_id = _order_id(found.to_dict())
    return db.session.get(Order, order_id) if order_id is not None else None


def id_of(value) -> str | None:
    """An expandable field: an id, or the object itself when expanded."""
    return value.get("id") if isinstance(value, dict) else value


def _stripe_call(call):
    try:
        return call(client())
    except stripe.StripeError as exc:
        current_app.logger.error("Stripe refused a request: %s", exc)
        raise StripeUnavailable("Stripe could not be reached; the event will be retried.") from exc
