"""Several copies of `flask backorders repromise` at the same moment (two cron hosts, a
retry): a late purchase order is moved once and each waiting customer is emailed once.

Real threads, each with its own app context and database connection, released together
by a barrier: the orders' row locks, then the purchase order's (PostgreSQL; SQLite's
write lock taken at BEGIN), make each copy wait for the one ahead and then read the dates
it wrote, so the second finds nothing left to move.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.backorders.repromise import repromise_late
from shop.clock import store_today
from shop.extensions import db
from shop.orders.models import OrderEvent, OrderLine
from shop.purchasing.models import PurchaseOrder
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item, mails, sent_po
from tests.integration.race_helpers import at_once

COPIES = 4
CUSTOMERS = ["ann@example.com", "bob@example.com", "cy@example.com"]


@pytest.fixture
def stove(app):
    return backordered_item(seed_reference_data())


def run_copies(app):
    def job():
        repromise_late()

    outcome = at_once(app, *[job for _ in range(COPIES)])
    assert outcome.failed == []  # a deadlock or a 500 would land here
    assert outcome.refused == []
    assert len(outcome.done) == COPIES


def test_copies_of_the_job_move_a_late_purchase_order_once(app, stove, clock):
    today = store_today()
    orders = [buy(app, [(stove, 1)], email=email) for email in CUSTOMERS]
    po = sent_po(stove, 5, expected=today + timedelta(days=2))
    clock.shift(timedelta(days=3))

    run_copies(app)

    db.session.expire_all()
    grace = app.config["LATE_DELIVERY_GRACE_DAYS"]
    new_po_date = today + timedelta(days=3 + grace)
    assert db.session.get(PurchaseOrder, po.id).expected_date == new_po_date
    dates = db.session.scalars(
        sa.select(OrderLine.expected_ship_date).where(
            OrderLine.order_id.in_([o.id for o in orders])
        )
    ).all()
    assert set(dates) == {new_po_date + timedelta(days=app.config["HANDLING_DAYS"])}
    assert sorted(m.to_address for m in mails("backorder_delayed")) == sorted(CUSTOMERS)
    events = db.session.scalars(
        sa.select(OrderEvent.order_id).where(OrderEvent.kind == "backorder_delayed")
    ).all()
    assert sorted(events) == sorted(o.id for o in orders)


def test_copies_of_the_job_re_date_an_overdue_backorder_once(app, stove, clock):
    """No purchase order at all: only the orders' locks keep the copies apart."""
    today = store_today()
    orders = [buy(app, [(stove, 1)], email=email) for email in CUSTOMERS]
    clock.shift(timedelta(days=20))  # lead time 10 + handling 2 passed long ago

    run_copies(app)

    db.session.expire_all()
    dates = db.session.scalars(
        sa.select(OrderLine.expected_ship_date).where(
            OrderLine.order_id.in_([o.id for o in orders])
        )
    ).all()
    assert set(dates) == {today + timedelta(days=20 + 10 + app.config["HANDLING_DAYS"])}
    assert sorted(m.to_address for m in mails("backorder_delayed")) == sorted(CUSTOMERS)
