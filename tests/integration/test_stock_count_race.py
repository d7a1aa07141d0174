"""Two staff count the same shelf at the same moment: the stock ends at what they counted.

Real threads released together by a barrier. A count writes the difference
between the figure counted and on_hand; read without a lock, each count would
take its difference from the same old figure and the differences would add up.
"""

import threading

import pytest
import sqlalchemy as sa

from shop.accounts.models import User
from shop.extensions import db
from shop.inventory import services as inventory
from shop.inventory.models import StockMovement
from tests.factories import ProductFactory, VariantFactory

COUNTERS = 4
ON_HAND = 10
COUNTED = 7


@pytest.fixture
def rope(app, tax_class):
    return VariantFactory(
        product=ProductFactory(name="Climbing Rope"), tax_class=tax_class, stock=ON_HAND
    )


def test_counts_at_the_same_moment_leave_the_counted_figure(app, rope, staff):
    variant_id, user_id = rope.id, staff["warehouse"].id
    db.session.commit()  # the test's own read must not hold SQLite's write lock
    barrier = threading.Barrier(COUNTERS)
    failed = []

    def count():
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                db.session.rollback()
                barrier.wait(timeout=30)
                inventory.count_stock(variant_id=variant_id, counted=COUNTED, user=user)
                db.session.commit()
            except Exception as err:
                db.session.rollback()
                failed.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=count) for _ in range(COUNTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert failed == []
    db.session.expire_all()
    assert inventory.stock_for(variant_id).on_hand == COUNTED
    assert inventory.movement_total(variant_id) == COUNTED
    counts = db.session.scalars(
        sa.select(StockMovement.quantity).where(
            StockMovement.variant_id == variant_id, StockMovement.reason == "count"
        )
    )
    assert list(counts) == [COUNTED - ON_HAND]  # one change; the others matched
