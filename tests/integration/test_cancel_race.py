"""The customer cancels while the warehouse starts packing, or twice at once (a double
click, two tabs): one wins, the other is refused with its message; never two refunds,
never a deadlock. Real threads released together (tests/integration/race_helpers.py).
"""

import pytest
import sqlalchemy as sa

from shop.accounts.models import User
from shop.after_sale import cancellations
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.fulfilment.models import Shipment
from shop.inventory.services import movement_total, stock_for
from shop.orders.models import Order
from shop.refunds.models import Refund
from tests.factories import ProductFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.race_helpers import at_once

ROUNDS = 8
ON_HAND = 50


@pytest.fixture
def lamp(app):
    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Storm Lantern"), tax_class=classes["standard"], stock=ON_HAND
    )


def customer_cancels(order_id: int):
    def cancel_order_by_customer():
        cancellations.cancel_order_by_customer(order=db.session.get(Order, order_id))

    return cancel_order_by_customer


def warehouse_starts(order_id: int, user_id: int):
    def start_shipment():
        fulfilment.start_shipment(
            order=db.session.get(Order, order_id), user=db.session.get(User, user_id)
        )

    return start_shipment


def refunds_of(order_id: int) -> list[Refund]:
    return list(db.session.scalars(sa.select(Refund).where(Refund.order_id == order_id)))


def test_cancelling_while_packing_starts_lets_exactly_one_happen(app, lamp, staff):
    warehouse_id = staff["warehouse"].id
    failures = []
    for _ in range(ROUNDS):
        order_id = buy(app, [(lamp, 1)]).id
        outcome = at_once(app, customer_cancels(order_id), warehouse_starts(order_id, warehouse_id))
        failures += outcome.failed
        db.session.expire_all()
        order = db.session.get(Order, order_id)
        packing = db.session.scalars(sa.select(Shipment).where(Shipment.order_id == order_id)).all()
        if outcome.failed:
            continue
        [refused] = outcome.refused
        if order.status == "cancelled":
            assert packing == [] and "only a paid order can be packed" in refused
            assert len(refunds_of(order_id)) == 1
        else:
            assert order.status == "paid" and len(packing) == 1
            assert "already being packed" in refused and refunds_of(order_id) == []
    assert failures == [], f"{len(failures)} of {ROUNDS} rounds failed: {failures[0]}"
    assert stock_for(lamp.id).on_hand == ON_HAND == movement_total(lamp.id)


def test_two_cancellations_at_once_refund_once(app, lamp):
    failures = []
    for _ in range(ROUNDS // 2):
        order_id = buy(app, [(lamp, 1)]).id
        outcome = at_once(app, customer_cancels(order_id), customer_cancels(order_id))
        failures += outcome.failed
        db.session.expire_all()
        if outcome.failed:
            continue
        order = db.session.get(Order, order_id)
        assert outcome.refused == [f"Order {order.number} is already cancelled."]
        [refund] = refunds_of(order_id)
        assert refund.amount == order.total
    assert failures == [], f"{len(failures)} of {ROUNDS // 2} rounds failed: {failures[0]}"
    assert stock_for(lamp.id).allocated == 0
