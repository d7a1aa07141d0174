"""Two staff count the same shelf at the same moment: the stock ends at what they counted.

Real threads released together by a barrier. A count writes the difference
between the figure counted and on_hand; read without a lock, each count would
take its difference from the same old figure and the differences would add up.
"""

import pytest
import sqlalchemy as sa

from shop.accounts.models import User
from shop.extensions import db
from shop.inventory import services as inventory
from shop.inventory.models import StockMovement
from tests.factories import ProductFactory, VariantFactory
from tests.integration.race_helpers import at_once

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

    def count():
        user = db.session.get(User, user_id)
        inventory.count_stock(variant_id=variant_id, counted=COUNTED, user=user)

    assert at_once(app, *[count] * COUNTERS).failed == []
    db.session.expire_all()
    assert inventory.stock_for(variant_id).on_hand == COUNTED
    assert inventory.movement_total(variant_id) == COUNTED
    counts = db.session.scalars(
        sa.select(StockMovement.quantity).where(
            StockMovement.variant_id == variant_id, StockMovement.reason == "count"
        )
    )
    assert list(counts) == [COUNTED - ON_HAND]  # one change; the others matched
