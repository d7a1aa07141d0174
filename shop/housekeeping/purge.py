"""Purging what the store no longer needs: guest carts left alone, mail delivered long
ago, and payment providers' events old enough that no retry of them can still come.

Each purge works in batches of HOUSEKEEPING_BATCH_SIZE rows, one short transaction
(committed) per batch, so it never holds a lock for long: on SQLite other writers wait
for one batch at most, on PostgreSQL only the rows of the batch are locked. Each batch
checks its rows' age again as it deletes them, so a cart touched meanwhile stays.
A purge returns how many rows it removed; running it twice (or two copies at once) is
harmless: the second finds less or nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.cart.models import Cart, CartLine, CheckoutState
from shop.db import utcnow
from shop.extensions import db
from shop.formatting import plural
from shop.notifications.models import SENT, OutboxAttachment, OutboxMessage
from shop.orders.models import PaymentEvent

# Stripe retries a webhook for up to 3 days; an event kept less long than that could be
# applied twice when a late retry comes in.
PROVIDER_RETRY_DAYS = 3
MAX_BATCHES = 10_000  # a bound on every loop: 10,000 batches of rows at the most


class PurgeError(ValueError):
    """A purge asked for with settings that would remove rows still needed."""


@dataclass(frozen=True)
class PurgeCounts:
    guest_carts: int
    outbox_messages: int
    outbox_attachments: int
    payment_events: int
    job_runs: int = 0

    def __str__(self) -> str:
        return (
            f"purged {plural(self.guest_carts, 'guest cart')}, "
            f"{plural(self.outbox_messages, 'sent email')} "
            f"with {plural(self.outbox_attachments, 'attachment')}, "
            f"{plural(self.payment_events, 'payment provider event')}, "
            f"{plural(self.job_runs, 'job run')}"
        )


def purge_all(now: datetime | None = None) -> PurgeCounts:
    """Every purge with the store's settings (the nightly job "housekeeping.purge")."""
    config = current_app.config
    now = now or utcnow()
    messages, attachments = purge_sent_mail(days=config["HOUSEKEEPING_SENT_MAIL_DAYS"], now=now)
    return PurgeCounts(
        guest_carts=purge_guest_carts(days=config["HOUSEKEEPING_GUEST_CART_DAYS"], now=now),
        outbox_messages=messages,
        outbox_attachments=attachments,
        payment_events=purge_payment_events(
            days=config["HOUSEKEEPING_PAYMENT_EVENT_DAYS"], now=now
        ),
        job_runs=purge_job_runs(days=config["HOUSEKEEPING_JOB_RUN_DAYS"], now=now),
    )


def purge_job_runs(*, days: int, now: datetime | None = None) -> int:
    """Job runs that started `days` ago (the chores' record: some 3,000 rows a day)."""
    from shop.jobs import runs

    removed = runs.purge_before((now or utcnow()) - timedelta(days=days))
    db.session.commit()
    return removed


def nightly_purge() -> str:
    """The job: purge_all(), as one line for its run's record."""
    return str(purge_all())


# --- guest carts ---------------------------------------------------------------------


def purge_guest_carts(*, days: int, now: datetime | None = None) -> int:
    """Guest carts (no customer) nobody touched for `days` days: no change to the cart,
    its lines or its checkout choices since. A customer's cart is never purged. No order
    refers to a cart (placing an order turns the cart into the order and deletes it), so
    an unpaid order never loses anything here."""
    cutoff = _cutoff(days, now, "HOUSEKEEPING_GUEST_CART_DAYS", minimum=1)
    return _in_batches(lambda size: _purge_cart_batch(cutoff, size))


def _left_alone_since(cutoff: datetime):
    recent_line = sa.exists().where(CartLine.cart_id == Cart.id, CartLine.created_at >= cutoff)
    recent_choice = sa.exists().where(
        CheckoutState.cart_id == Cart.id, CheckoutState.updated_at >= cutoff
    )
    return sa.and_(
        Cart.user_id.is_(None),
        Cart.created_at < cutoff,
        Cart.updated_at < cutoff,
        ~recent_line,
        ~recent_choice,
    )


def _purge_cart_batch(cutoff: datetime, size: int) -> int:
    # PostgreSQL: the batch's carts are locked, and a cart someone is adding to (its row
    # is locked by that) is skipped; SQLite: this transaction holds the write lock.
    ids = locks.claim_rows(
        sa.select(Cart.id).where(_left_alone_since(cutoff)).order_by(Cart.id).limit(size)
    )
    # Children first: the database cascades too, but SQLite only with foreign keys on.
    for model, column in ((CartLine, CartLine.cart_id), (CheckoutState, CheckoutState.cart_id)):
        _delete(model, column.in_(ids))
    _delete(Cart, Cart.id.in_(ids))
    return len(ids)


# --- mail ------------------------------------------------------------------------------


def purge_sent_mail(*, days: int, now: datetime | None = None) -> tuple[int, int]:
    """Emails delivered (sent) more than `days` days ago, with their attachments; mail
    still pending, being sent or failed (kept for staff to see) stays. Returns
    (messages, attachments)."""
    cutoff = _cutoff(days, now, "HOUSEKEEPING_SENT_MAIL_DAYS", minimum=1)
    attachments = 0

    def batch(size: int) -> int:
        nonlocal attachments
        ids = locks.claim_rows(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == SENT, OutboxMessage.sent_at < cutoff)
            .order_by(OutboxMessage.id)
            .limit(size)
        )
        attachments += _delete(OutboxAttachment, OutboxAttachment.message_id.in_(ids))
        return _delete(OutboxMessage, OutboxMessage.id.in_(ids))

    messages = _in_batches(batch)
    return messages, attachments


# --- payment provider events ------------------------------------------------------------


def purge_payment_events(*, days: int, now: datetime | None = None) -> int:
    """Provider events (the rows that make a webhook apply once) received more than
    `days` days ago. Stripe retries an event for up to 3 days, so at least 4 are kept:
    a retry after that would find no row and be applied again."""
    cutoff = _cutoff(days, now, "HOUSEKEEPING_PAYMENT_EVENT_DAYS", minimum=PROVIDER_RETRY_DAYS + 1)

    def batch(size: int) -> int:
        ids = locks.claim_rows(
            sa.select(PaymentEvent.id)
            .where(PaymentEvent.received_at < cutoff)
            .order_by(PaymentEvent.id)
            .limit(size)
        )
        return _delete(PaymentEvent, PaymentEvent.id.in_(ids))

    return _in_batches(batch)


# --- batches ---------------------------------------------------------------------------


def _cutoff(days, now: datetime | None, setting: str, *, minimum: int) -> datetime:
    if isinstance(days, bool) or not isinstance(days, int) or days < minimum:
        raise PurgeError(
            f"{setting} (STORE_{setting}) must be a whole number of days, at least "
            f"{minimum}, not {days!r}. Nothing was purged."
        )
    return (now or utcnow()) - timedelta(days=days)


def _in_batches(batch) -> int:
    """Run batch(size) and commit, again and again until a batch finds fewer rows than
    its size; returns the rows removed in all."""
    size = current_app.config["HOUSEKEEPING_BATCH_SIZE"]
    total = 0
    for _ in range(MAX_BATCHES):
        try:
            removed = batch(size)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        total += removed
        if removed < size:
            break
    return total


def _delete(model, condition) -> int:
    result = db.session.execute(
        sa.delete(model).where(condition).execution_options(synchronize_session=False)
    )
    return result.rowcount
