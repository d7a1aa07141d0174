"""Two shipments, two dented units written off and a stock count of the same variant at the
same moment: afterwards the inventory account is still the stock's value, to the cent.

Real threads, each with its own app context and database connection, released together
by a barrier, several rounds. Each movement takes its share of the value from the stock
row as it is under the row's lock; read without it, two movements would both take their
share of the same old value (and the last unit out would leave a value behind, or take
more than there is).
"""

import pytest

from shop.accounts.models import User
from shop.backorders import purchase_orders
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.fulfilment.models import Shipment
from shop.inventory import services as inventory
from shop.inventory import valuation
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item, sent_po
from tests.integration.race_helpers import at_once

ROUNDS = 4


@pytest.fixture
def kettle(app):
    """Three units opening at $10.00; each round buys more at about $13.33, so the average
    does not divide evenly."""
    return backordered_item(seed_reference_data(), name="Camp Kettle", on_hand=3, cost=1000)


def packed(app, variant, units: int, warehouse) -> int:
    order = buy(app, [(variant, units)], email=f"kettle{units}@example.com")
    shipment = fulfilment.start_shipment(order=order, user=warehouse)
    db.session.commit()
    return shipment.id


def confirm(shipment_id: int, user_id: int):
    def confirm_shipment():
        shipment = db.session.get(Shipment, shipment_id)
        fulfilment.confirm_shipment(shipment=shipment, user=db.session.get(User, user_id))

    return confirm_shipment


def scrap(variant_id: int, user_id: int):
    def adjust_stock():
        inventory.adjust_stock(
            variant_id=variant_id, quantity=-1, reason="adjustment", note="dented",
            user=db.session.get(User, user_id),
        )  # fmt: skip

    return adjust_stock


def count(variant_id: int, counted: int, user_id: int):
    def count_stock():
        inventory.count_stock(
            variant_id=variant_id, counted=counted, user=db.session.get(User, user_id)
        )

    return count_stock


def receive(variant, units: int, unit_cost: int) -> None:
    po = sent_po(variant, units, unit_cost=unit_cost)
    purchase_orders.receive_purchase_order(po=po, quantities={po.lines[0].id: units}, user=None)
    db.session.commit()


def replayed(variant_id: int) -> tuple[int, int]:
    """The variant's movements replayed in the order they happened: each one that took
    units out took exactly its share of the value on hand just before it (a share read
    from a stale row would differ). Returns on_hand and value at the end."""
    on_hand = value = 0
    for movement in reversed(inventory.movements_of(variant_id)):
        if movement.quantity < 0:
            assert -movement.value == valuation.value_out(value, on_hand, -movement.quantity)
        on_hand, value = on_hand + movement.quantity, value + movement.value
    return on_hand, value


def test_shipments_and_a_count_at_once_keep_the_books_equal_to_the_stock(app, kettle, staff):
    warehouse = staff["warehouse"]
    for round_no in range(ROUNDS):
        receive(kettle, 8, 1333 + 7 * round_no)  # the average moves each round
        first, second = packed(app, kettle, 1, warehouse), packed(app, kettle, 2, warehouse)
        # The count finds one unit fewer than the shelf held before the parcels left.
        counted = inventory.stock_for(kettle.id).on_hand - 1
        outcome = at_once(
            app,
            confirm(first, warehouse.id),
            confirm(second, warehouse.id),
            scrap(kettle.id, warehouse.id),
            scrap(kettle.id, warehouse.id),
            count(kettle.id, counted, warehouse.id),
        )
        assert outcome.failed == [] and outcome.refused == []
        db.session.expire_all()
        stock = inventory.stock_for(kettle.id)
        assert stock.on_hand == inventory.movement_total(kettle.id)
        assert valuation.inventory_difference() == 0, f"round {round_no}"
        assert replayed(kettle.id) == (stock.on_hand, stock.stock_value)
    # Ship the rest and count the shelf empty: no units, no value, nothing left behind.
    for_sale = inventory.free_stock(kettle.id)
    if for_sale:
        fulfilment.confirm_shipment(
            shipment=db.session.get(Shipment, packed(app, kettle, for_sale, warehouse)),
            user=warehouse,
        )
    inventory.count_stock(variant_id=kettle.id, counted=0)
    db.session.commit()
    stock = inventory.stock_for(kettle.id)
    assert stock.on_hand == 0 and stock.stock_value == 0
    assert valuation.inventory_difference() == 0
