"""The daily lists for the warehouse: backorders and reorders, emailed through the outbox.

A scheduler (cron) runs `flask backorders report` and `flask reorder report`
every morning; the same lists are pages and a CSV in the back office.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from shop.accounts import roles
from shop.accounts.models import User
from shop.backorders import queue as backorders
from shop.clock import store_today
from shop.extensions import db
from shop.formatting import local_date, plural
from shop.notifications.services import queue_email
from shop.planning import reorder

RECIPIENT_ROLES = (roles.WAREHOUSE, roles.OWNER)


@dataclass(frozen=True)
class Report:
    rows: list
    recipients: list[str]


def recipients() -> list[str]:
    """Every enabled warehouse account, and the owner."""
    return list(
        db.session.scalars(
            sa.select(User.email)
            .where(User.role.in_(RECIPIENT_ROLES), User.is_enabled.is_(True))
            .order_by(User.email)
        )
    )


def send_backorder_report() -> Report:
    today = store_today()
    rows = backorders.backorder_list(today)
    to = recipients()
    units = sum(r.line.quantity_backordered for r in rows)
    counts = f"{plural(len(rows), 'line')}, {plural(units, 'unit')}"
    for address in to:
        queue_email(
            to=address,
            subject=f"Backorders {local_date(today)}: {counts}",
            kind="backorder_report",
            rows=rows,
            units=units,
            today=today,
        )
    db.session.flush()
    return Report(rows, to)


def send_reorder_report() -> Report:
    today = store_today()
    rows = reorder.reorder_list()
    to = recipients()
    for address in to:
        queue_email(
            to=address,
            subject=f"Reorder list {local_date(today)}: {plural(len(rows), 'variant')} to order",
            kind="reorder_report",
            rows=rows,
            today=today,
        )
    db.session.flush()
    return Report(rows, to)
