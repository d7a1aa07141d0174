"""Closing the books: a lock date after which nothing posts into the closed months.

The bookkeeper closes through a month end that is over and after the last close.
From then on post_entry() asks open_posting_date() for every entry:

- a manual entry dated on or before the lock date is refused (nothing is posted);
- an automatic posting (a sale, a shipment, a late webhook, a receipt, a bill) dated in
  the closed period posts on the first open day instead, its own date written in its
  description: corrections post in the open period, the closed months stay as filed.

The owner may reopen the latest close; the row stays, with who reopened it and when,
and both are written to the security log. Closing and posting take the books' lock
(shop.locks) so that a close and a posting at the same moment cannot leave an entry
inside the closed period.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from shop import locks
from shop.accounting.errors import PeriodError
from shop.accounting.models import PeriodClose
from shop.accounts import roles
from shop.accounts.audit import log_event
from shop.db import utcnow
from shop.extensions import db

MANUAL = "manual"  # the source type of a bookkeeper's own entry (services.MANUAL)


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def current_close() -> PeriodClose | None:
    """The close that stands: the latest one not reopened."""
    return db.session.scalar(
        sa.select(PeriodClose)
        .where(PeriodClose.reopened_at.is_(None))
        .order_by(PeriodClose.closed_through.desc(), PeriodClose.id.desc())
        .limit(1)
    )


def lock_date() -> date | None:
    """The last day of the closed period, or None while nothing is closed."""
    return db.session.scalar(
        sa.select(sa.func.max(PeriodClose.closed_through)).where(PeriodClose.reopened_at.is_(None))
    )


def open_posting_date(on: date, description: str, source_type: str) -> tuple[date, str]:
    """The day an entry posts on and its description, under the books' lock (held until
    the transaction ends, so no close can slip in before the entry is committed)."""
    locks.lock_books_for_posting()
    locked = lock_date()
    if locked is None or on > locked:
        return on, description
    if source_type == MANUAL:
        raise PeriodError(
            f"The books are closed through {locked:%Y-%m-%d}: date the entry "
            f"{locked + timedelta(days=1):%Y-%m-%d} or later. Nothing was posted.",
            field="on",
        )
    first_open = locked + timedelta(days=1)
    return first_open, f"{description} (dated {on:%Y-%m-%d}, in a closed period)"


def closable_month_ends(today: date, count: int = 12) -> list[date]:
    """The month ends the bookkeeper may close through now: over, and after the lock date."""
    locked = lock_date()
    found, day = [], today.replace(day=1) - timedelta(days=1)
    while len(found) < count and (locked is None or day > locked):
        found.append(day)
        day = month_end(day.replace(day=1) - timedelta(days=1))
    return found


def close_through(day: date, *, user, today: date) -> PeriodClose:
    """Close the books through a month end that is over and after the last close."""
    if not is_month_end(day):
        raise PeriodError("Close through the last day of a month.", field="closed_through")
    if day >= today:
        raise PeriodError(
            f"{day:%B %Y} is not over yet: close it from {day + timedelta(days=1):%Y-%m-%d}.",
            field="closed_through",
        )
    locks.lock_books_for_closing()
    locked = lock_date()
    if locked is not None and day <= locked:
        raise PeriodError(
            f"The books are already closed through {locked:%Y-%m-%d}; close a later month.",
            field="closed_through",
        )
    close = PeriodClose(closed_through=day, closed_by_id=user.id)
    db.session.add(close)
    db.session.flush()
    log_event("books_closed", user=user, closed_through=day.isoformat(), close_id=close.id)
    return close


def reopen(*, user) -> PeriodClose:
    """The owner reopens the latest close; the one before it (if any) stands again."""
    if user.role != roles.OWNER:
        raise PeriodError("Only the owner may reopen a closed period.")
    locks.lock_books_for_closing()
    close = current_close()
    if close is None:
        raise PeriodError("No period is closed.")
    close.reopened_by_id = user.id
    close.reopened_at = utcnow()
    db.session.flush()
    log_event(
        "books_reopened", user=user, closed_through=close.closed_through.isoformat(),
        close_id=close.id,
    )  # fmt: skip
    return close


def history() -> list[PeriodClose]:
    """Every close, newest first, with who closed and reopened it."""
    return list(
        db.session.scalars(
            sa.select(PeriodClose).order_by(PeriodClose.closed_at.desc(), PeriodClose.id.desc())
        )
    )
