"""Refunds the provider could not make yet, asked again until they are made; never lost.

A pending refund that no provider has answered (it has no provider id yet) and
whose next_attempt_at has passed is due. `flask refunds retry` (cron, every few
minutes) claims the order of each due refund with SKIP LOCKED, then the refund
itself, so two copies of the job (or a request sending it this moment) never ask
the provider twice for one refund; the call goes with the refund's own idempotency
key, so a call whose answer was lost is answered with the refund already made.
Each call counts in `attempts`; an outage doubles the wait (the refund use case's
backoff) and keeps the error in `last_error`; a refusal for good marks the refund
failed, for staff (the back office's refunds page, where "Retry now" sends it again).
Locks are taken in the house order: the order, then its refund.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from shop import locks
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.orders import events
from shop.orders.models import Order
from shop.refunds import providers
from shop.refunds import services as refunds
from shop.refunds import status as refund_status
from shop.refunds.models import Refund

PENDING_TOO_LONG = timedelta(hours=1)  # shown to staff after this long without an answer


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
        for refund in locks.lock_refunds(Refund.order_id == order.id, due(now), skip_locked=True):
            getattr(run, ask_provider(refund)).append(refund.id)
        db.session.commit()


def ask_provider(refund: Refund) -> str:
    """One call to the refund's provider, its answer applied (the caller holds the order's
    and the refund's locks, and commits). Returns succeeded, waiting, failed or postponed."""
    refund.attempts += 1
    try:
        providers.send(refund)
    except DomainError as err:
        refunds.try_later(refund, err.message)  # the use case's one backoff
        db.session.flush()
        return "postponed"
    db.session.flush()
    if refund.status == refund_status.SUCCEEDED:
        return "succeeded"
    if refund.status == refund_status.FAILED:
        return "failed"
    return "waiting"


def retry_now(refund: Refund, *, user=None, now: datetime | None = None) -> Refund:
    """Staff send a refund again now: a pending one is made due; a failed one becomes
    pending again, with a new idempotency token (the provider would replay its failure).
    Commit, then retry_due_refunds()."""
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
        # Its credit note stands and it still counts against what may be refunded.
        refund_status.check_transition(refund.status, refund_status.PENDING)
        refund.status = refund_status.PENDING
        refund.reference = None
        refund.idempotency_token = secrets.token_hex(8)
        events.refund_retried(refund.order, refund, user)
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
