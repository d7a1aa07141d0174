"""Customers paying at the very moment the expiry job runs: no paid order is ever expired.

Real threads, each with its own app context and database connection, released
together by a barrier: the customers pay through the demo provider (the same
path as the pay page: apply_payment_event), while several copies of the job
behind `flask orders expire` run, as two cron hosts would.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.db import utcnow
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.inventory.services import movement_total, stock_for
from shop.orders import jobs
from shop.orders import services as orders
from shop.orders.models import Order, OrderEvent
from shop.payments import demo
from tests.factories import ProductFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import reviewed_cart
from tests.integration.race_helpers import at_once

CUSTOMERS = 20
EXPIRY_RUNS = 4
UNITS = 2  # per order
BATCH = 2
GOOD_CARD = "4242424242424242"


@pytest.fixture
def kettle(app):
    classes = seed_reference_data()
    product = ProductFactory(name="Camp Kettle", backorderable=False)
    return VariantFactory(product=product, tax_class=classes["standard"], stock=100)


def due_orders(variant_id: int, count: int) -> list[int]:
    """`count` demo orders placed as the checkout places them, each past its time to pay."""
    ids = []
    for n in range(count):
        cart, request, token = reviewed_cart(variant_id, UNITS, f"payer{n}@example.com")
        order = orders.place_order(
            cart=cart, user=None, request=request, reviewed=token, provider=demo.NAME
        )
        demo.start_payment(order)
        order.expires_at = utcnow() - timedelta(seconds=1)  # the customer took their time
        ids.append(order.id)
    db.session.commit()
    return ids


def race(app, payers: list[int], expiry_runs: int) -> list[str]:
    """The payers pay and the expiry job runs, all at once; returns any failures."""

    def payer(order_id: int):
        def pay():
            order = db.session.get(Order, order_id)  # as the pay page reads it
            demo.charge(order=order, card_number=GOOD_CARD)
            db.session.commit()

        return pay

    def expiry_run():
        # Small batches, committed one by one as `flask orders expire` does, so that the
        # runs and the payments interleave: some orders are locked by a payment first.
        jobs.expire_unpaid_orders(batch_size=BATCH)

    steps = [payer(i) for i in payers] + [expiry_run] * expiry_runs
    outcome = at_once(app, *steps, commit=False)
    return outcome.failed + outcome.refused


def kinds_by_order() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for order_id, kind in db.session.execute(
        sa.select(OrderEvent.order_id, OrderEvent.kind).order_by(OrderEvent.id)
    ):
        found.setdefault(order_id, []).append(kind)
    return found


def test_customers_paying_while_the_expiry_job_runs_are_never_expired(app, kettle, record_property):
    ids = due_orders(kettle.id, CUSTOMERS)
    failed = race(app, ids, EXPIRY_RUNS)

    db.session.expire_all()
    found = db.session.scalars(sa.select(Order).where(Order.id.in_(ids))).all()
    paid = [o for o in found if o.paid_at is not None]
    lost = [o.number for o in paid if o.status != "paid"]
    record_property("paid_orders_expired", len(lost))  # shown with --junitxml
    assert lost == [], (
        f"{len(lost)} of {len(paid)} paid orders ended {set(o.status for o in found)}"
    )
    assert failed == []
    assert len(paid) == CUSTOMERS  # every customer's payment went through
    for order in paid:
        assert [line.quantity_allocated for line in order.lines] == [UNITS], order.number
    kinds = kinds_by_order()
    late = [o for o in found if "expired" in kinds[o.id]]  # expired first, then paid: honoured
    record_property("paid_after_expiring", len(late))
    for order in found:
        assert kinds[order.id].count("paid") == 1, order.number
        assert kinds[order.id].count("expired") <= 1, order.number
        assert kinds[order.id].count("expired") == kinds[order.id].count("released"), order.number
    stock = stock_for(kettle.id)
    assert stock.allocated == UNITS * CUSTOMERS and stock.on_hand == movement_total(kettle.id)


def test_two_expiry_runs_at_once_expire_each_order_once(app, kettle):
    ids = due_orders(kettle.id, CUSTOMERS)
    failed = race(app, [], EXPIRY_RUNS)

    assert failed == []
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Order.status))) == {"expired"}
    kinds = kinds_by_order()
    for order_id in ids:
        assert kinds[order_id] == ["placed", "expired", "released"], kinds[order_id]
    stock = db.session.scalar(sa.select(StockLevel).where(StockLevel.variant_id == kettle.id))
    assert stock.allocated == 0
