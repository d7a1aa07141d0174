"""Refunds the provider could not make yet, asked again until they are made; never lost.

A pending refund that no provider has answered (it has no provider id yet) and
whose next_attempt_at has passed is due. `flask refunds retry` (cron, every few
minutes) claims the order of each due refund with SKIP LOCKED, so two copies of
the job, or a webhook for the same order, never ask the provider twice for one
refund at once, and asks again with the refund's own idempotency key: a call whose
answer was lost is answered with the refund already made. Each call counts in
`attempts`; an outage doubles the wait (BACKOFF_FIRST up to BACKOFF_MAX) and keeps
the error in `last_error`; a refusal for good marks the refund failed, for staff
(the back office's refunds page, where "Retry now" sends it again).
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order
from shop.refunds import provider_events
from shop.refunds import status as refund_status
from shop.refunds.models import Refund

BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=12)
PENDING_TOO_LONG = timedelta(hours=1)  # shown to staff after this long without an answer


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed call: 5 min, 10, 20, ... 12 h."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def due(now: datetime):
    return sa.and_(
        Refund.status == refund_status.PENDING,
        Refund.reference.is_(None),
        Refund.next_attempt_at.is_not(None),
        Refund.next_attempt_at <= now,
    )


@dataclass
class RetryRun:
    succeeded: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)  # made, the provider still processing
    failed: list[int] = field(default_factory=list)  # refused for good: staff must act
    postponed: list[int] = field(default_factory=list)  # provider down again: later


def retry_due_refunds(*, now: datetime | None = None) -> RetryRun:
    """Ask the provider again for every due refund, one order at a time, committing each."""
    now = now or utcnow()
    run = RetryRun()
    after_id = 0
    while True:
        [order] = locks.claim_orders(
            Order.id > after_id, Order.id.in_(sa.select(Refund.order_id).where(due(now))), limit=1
        ) or [None]
        if order is None:
            db.session.commit()
            return run
        after_id = order.id
        query = sa.select(Refund).where(Refund.order_id == order.id, due(now)).order_by(Refund.id)
        for refund in db.session.scalars(query.execution_options(populate_existing=True)):
            outcome = ask_provider(refund, now=now)
            getattr(run, outcome).append(refund.id)
        db.session.commit()


def ask_provider(refund: Refund, *, now: datetime | None = None) -> str:
    """One call to the refund's provider, its answer recorded on the refund (the caller
    holds the order's lock and commits). Returns succeeded, waiting, failed or postponed."""
    from shop.payments import stripe_gateway

    now = now or utcnow()
    refund.attempts += 1
    try:
        reference, provider_status = provider_refund(refund)
    except stripe_gateway.StripeUnavailable as err:
        if getattr(err, "permanent", False):
            provider_events.settle(refund, "failed", err.message)
            return "failed"
        refund.last_error = err.message[:500]
        refund.next_attempt_at = now + backoff(refund.attempts)
        current_app.logger.warning(
            "refund %s not made (attempt %s), next at %s: %s",
            refund.id, refund.attempts, refund.next_attempt_at, err.message,
        )  # fmt: skip
        db.session.flush()
        return "postponed"
    refund.reference = reference
    provider_events.settle(refund, provider_status, "")
    if refund.status == refund_status.SUCCEEDED:
        return "succeeded"
    if refund.status == refund_status.FAILED:
        return "failed"
    refund.next_attempt_at = None  # made: the provider's webhook settles it
    db.session.flush()
    return "waiting"


def provider_refund(refund: Refund) -> tuple[str, str]:
    """(the provider's refund id, its status)."""
    if refund.provider == "stripe":
        from shop.payments import stripe_gateway

        return stripe_gateway.refund_payment(refund)
    return f"demo-refund-{refund.id}", "succeeded"  # the demo provider gives money back at once


def retry_now(refund: Refund, *, user=None, now: datetime | None = None) -> Refund:
    """Staff send a refund again now: a pending one is made due; a failed one becomes
    pending again, with a new idempotency token (the provider would replay its failure),
    provided what it gives back is still left to refund. Commit, then retry_due_refunds."""
    now = now or utcnow()
    locks.lock_order(refund.order_id)
    db.session.refresh(refund)
    if refund.status == refund_status.SUCCEEDED:
        raise refund_status.RefundError("This refund was already made.")
    if refund.status == refund_status.PENDING and refund.reference is not None:
        raise refund_status.RefundError(
            "The payment provider has this refund and is still processing it; "
            "its answer will arrive by itself."
        )
    if refund.status == refund_status.FAILED:
        from shop.refunds import services as refunds

        if refund.amount > refunds.refundable_amount(refund.order):
            raise refund_status.RefundError(
                "This refund is more than is left to refund on the order: it cannot be sent again."
            )
        refund_status.check_transition(refund.status, refund_status.PENDING)
        refund.status = refund_status.PENDING
        refund.reference = None
        refund.idempotency_token = secrets.token_hex(8)
        from shop.orders import events

        events.refund_retried(refund.order, refund.amount, user)
    refund.next_attempt_at = now
    db.session.flush()
    return refund


def needing_attention(*, now: datetime | None = None) -> list[Refund]:
    """Failed refunds, and pending ones with no answer for longer than PENDING_TOO_LONG."""
    now = now or utcnow()
    query = (
        sa.select(Refund)
        .where(
            sa.or_(
                Refund.status == refund_status.FAILED,
                sa.and_(
                    Refund.status == refund_status.PENDING,
                    Refund.created_at <= now - PENDING_TOO_LONG,
                ),
            )
        )
        .order_by(Refund.created_at, Refund.id)
    )
    return list(db.session.scalars(query))
