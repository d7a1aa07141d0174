"""Staff cancel an order while the warehouse ships (or packs) it, at the same moment.

Real threads, each with its own app context and database connection, released
together by a barrier, many times over. Both use cases lock in the order of
shop.locks (order, then shipment, then stock), so one waits for the other and
then sees what it did: the order ends cancelled with its stock back, or shipped;
never both, never a deadlock (on PostgreSQL: DeadlockDetected, a 500).
"""

import pytest

from shop.accounts.models import User
from shop.after_sale import cancellations
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.fulfilment.models import Shipment
from shop.inventory.services import movement_total, stock_for
from shop.orders.models import Order
from tests.factories import ProductFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.race_helpers import at_once

ROUNDS = 12
ON_HAND = 100


@pytest.fixture
def compass(app):
    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Brass Compass"), tax_class=classes["standard"], stock=ON_HAND
    )


def packing_order(app, variant, warehouse) -> tuple[int, int]:
    """A paid order of one unit whose shipment is being packed."""
    order = buy(app, [(variant, 1)])
    shipment = fulfilment.start_shipment(order=order, user=warehouse)
    db.session.commit()
    return order.id, shipment.id


def cancel(order_id: int, user_id: int):
    def cancel_order():
        order = db.session.get(Order, order_id)  # as the page reads it, no lock
        cancellations.cancel_order(order=order, user=db.session.get(User, user_id), reason="race")

    return cancel_order


def confirm(shipment_id: int, user_id: int):
    def confirm_shipment():
        shipment = db.session.get(Shipment, shipment_id)
        fulfilment.confirm_shipment(shipment=shipment, user=db.session.get(User, user_id))

    return confirm_shipment


def repack(shipment_id: int):
    def update_parcels():
        shipment = db.session.get(Shipment, shipment_id)
        entries = [fulfilment.ParcelEntry(p.id, p.box_id, p.weight_g) for p in shipment.parcels]
        fulfilment.update_parcels(shipment=shipment, parcels=entries)

    return update_parcels


def test_cancel_racing_ship_of_the_same_order_never_deadlocks(app, compass, staff):
    sales, warehouse = staff["sales"], staff["warehouse"]
    sales_id, warehouse_id = sales.id, warehouse.id
    failures, shipped = [], 0
    for _ in range(ROUNDS):
        order_id, shipment_id = packing_order(app, compass, warehouse)
        outcome = at_once(app, cancel(order_id, sales_id), confirm(shipment_id, warehouse_id))
        failures += outcome.failed
        db.session.expire_all()
        order, shipment = db.session.get(Order, order_id), db.session.get(Shipment, shipment_id)
        if outcome.failed:
            continue
        [refused] = outcome.refused
        if order.status == "shipped":
            shipped += 1
            assert shipment.status == "shipped" and "shipped" in refused
        else:
            assert order.status == "cancelled" and shipment.status == "cancelled"
            assert order.lines[0].quantity_allocated == 0 and "cancelled" in refused
    assert failures == [], f"{len(failures)} of {ROUNDS} rounds failed: {failures[0]}"
    stock = stock_for(compass.id)
    assert stock.allocated == 0 and stock.on_hand == ON_HAND - shipped
    assert stock.on_hand == movement_total(compass.id)


def test_cancel_racing_a_packing_change_never_deadlocks(app, compass, staff):
    sales_id, warehouse = staff["sales"].id, staff["warehouse"]
    failures = []
    for _ in range(ROUNDS // 2):
        order_id, shipment_id = packing_order(app, compass, warehouse)
        failures += at_once(app, cancel(order_id, sales_id), repack(shipment_id)).failed
        db.session.expire_all()
        assert db.session.get(Order, order_id).status in ("cancelled", "paid")
    assert failures == [], f"{len(failures)} of {ROUNDS // 2} rounds failed: {failures[0]}"
    stock = stock_for(compass.id)
    assert stock.on_hand == ON_HAND == movement_total(compass.id)
