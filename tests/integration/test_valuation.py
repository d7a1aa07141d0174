"""Stock valued at moving average cost: the inventory account always equals the stock.

Each movement (opening stock, receipt, shipment, adjustment, count, a cost edited by
hand) moves the stock's value and posts the same amount to the inventory account.
"""

import pytest

from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.inventory import services as inventory
from shop.purchasing import services as purchasing
from tests.integration.books_helpers import balances
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item, sent_po


@pytest.fixture
def classes(app):
    return seed_reference_data()


def ship(app, variant, units: int, user=None):
    order = buy(app, [(variant, units)])
    shipment = fulfilment.start_shipment(order=order, user=user)
    fulfilment.confirm_shipment(shipment=shipment, user=user)
    db.session.commit()
    return shipment


def test_bought_at_12_catalogue_15_receive_ship_count_books_agree_with_stock(app, classes):
    """The issue's finding: bought at $12, catalogue cost $15, receive 10, ship 4, count -1
    gave an inventory account of $60 against $75 of stock at cost."""
    variant = backordered_item(classes, cost=1500)
    po = sent_po(variant, 10, unit_cost=1200)
    purchasing.receive_purchase_order(po=po, quantities={po.lines[0].id: 10}, user=None)
    db.session.commit()
    shipment = ship(app, variant, 4)
    inventory.count_stock(variant_id=variant.id, counted=5)
    db.session.commit()

    db.session.expire_all()
    on_hand = inventory.stock_for(variant.id).on_hand
    assert on_hand == 5
    books = balances()
    assert books["inventory"] == on_hand * variant.cost
    # The catalogue shows what a unit costs now: what the shop paid for it.
    assert variant.cost == 1200 and books["inventory"] == 6000
    assert shipment.cost_of_goods == 4 * 1200 == books["cogs"]
    assert books["shrinkage"] == 1200
