"""Stock valued at moving average cost: the inventory account always equals the stock.

Each movement (opening stock, receipt, shipment, adjustment, count, a cost edited by
hand) moves the stock's value and posts the same amount to the inventory account.
"""

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting import services as books_services
from shop.accounts import roles
from shop.backorders import purchase_orders
from shop.catalogue.models import Variant
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.inventory import services as inventory
from shop.inventory import valuation
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import text_of
from tests.integration.books_helpers import balances
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item, sent_po
from tests.integration.test_backoffice_catalogue import variant_form


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
    purchase_orders.receive_purchase_order(po=po, quantities={po.lines[0].id: 10}, user=None)
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


def entry_of(source_key: str) -> dict[str, tuple[int, int]]:
    """{account role: (debit, credit)} of the entry posted for this source."""
    entry = books_services.already_posted(source_key)
    assert entry is not None, source_key
    return {line.account.role: (line.debit, line.credit) for line in entry.lines}


def test_a_new_variants_opening_stock_posts_to_opening_balance_equity(app, client, staff, classes):
    log_in(client, staff[roles.SALES].email)
    product = ProductFactory(name="Ridge Tent")
    response = client.post(
        f"/admin/products/{product.id}/variants/new",
        data=variant_form(classes["standard"], cost="10.50", opening_stock="7"),
    )
    assert response.status_code == 302
    variant = db.session.scalar(sa.select(Variant).where(Variant.sku == "TENT-2P-GRN"))
    [movement] = inventory.movements_of(variant.id)
    assert movement.value == 7 * 1050 and variant.stock.stock_value == 7350
    assert entry_of(f"movement:{movement.id}") == {
        chart.INVENTORY: (7350, 0),
        chart.OPENING_BALANCE: (0, 7350),
    }
    assert valuation.inventory_difference() == 0


def test_adjustments_and_counts_post_shrinkage_at_average_cost(app, classes):
    """Three at $10.00 and two bought at $11.01 average $10.404: a unit lost takes $10.40,
    one found comes back at the average, and the last unit out takes what is left."""
    variant = backordered_item(classes, on_hand=3, cost=1000)
    po = sent_po(variant, 2, unit_cost=1101)
    purchase_orders.receive_purchase_order(po=po, quantities={po.lines[0].id: 2}, user=None)
    assert (variant.stock.on_hand, variant.stock.stock_value, variant.cost) == (5, 5202, 1040)

    lost = inventory.adjust_stock(variant_id=variant.id, quantity=-1, reason="adjustment")
    assert lost.value == -1040  # 5202 x 1/5 = 1040.4
    assert entry_of(f"movement:{lost.id}") == {
        chart.SHRINKAGE: (1040, 0),
        chart.INVENTORY: (0, 1040),
    }
    found = inventory.adjust_stock(variant_id=variant.id, quantity=2, reason="return")
    assert found.value == 2081  # 4162 x 2/4 = 2081
    assert entry_of(f"movement:{found.id}") == {
        chart.INVENTORY: (2081, 0),
        chart.COGS: (0, 2081),  # goods sent back undo the cost of their sale
    }
    last = inventory.count_stock(variant_id=variant.id, counted=0)
    assert last.value == -6243 and variant.stock.stock_value == 0  # all that was left
    db.session.commit()
    # Nothing on hand: units found come in at the catalogue's cost.
    again = inventory.count_stock(variant_id=variant.id, counted=2)
    assert again.value == 2 * variant.cost
    assert valuation.inventory_difference() == 0
    assert balances()[chart.SHRINKAGE] == 1040 + 6243 - 2080
    assert balances()[chart.COGS] == -2081


def test_editing_a_variants_cost_revalues_the_units_on_hand(app, client, staff, classes):
    variant = VariantFactory(
        product=ProductFactory(name="Bivy Sack"), sku="BIVY-1", cost=1000, stock=4,
        tax_class=classes["standard"],
    )  # fmt: skip
    empty = VariantFactory(product=variant.product, sku="BIVY-2", cost=1000, stock=0,
                           tax_class=classes["standard"])  # fmt: skip
    log_in(client, staff[roles.SALES].email)

    def edit(target, cost: str):
        form = variant_form(classes["standard"], sku=target.sku, barcode="", cost=cost)
        del form["opening_stock"]
        response = client.post(f"/admin/variants/{target.id}/edit", data=form)
        assert response.status_code == 302, text_of(response)

    edit(variant, "12.25")
    db.session.expire_all()
    assert (variant.cost, variant.stock.stock_value) == (1225, 4900)
    assert entry_of(f"revaluation:variant:{variant.id}:1") == {
        chart.INVENTORY: (900, 0),
        chart.REVALUATION: (0, 900),
    }
    edit(variant, "9.00")
    db.session.expire_all()
    assert variant.stock.stock_value == 3600
    assert entry_of(f"revaluation:variant:{variant.id}:2") == {
        chart.REVALUATION: (1300, 0),
        chart.INVENTORY: (0, 1300),
    }
    edit(empty, "20.00")  # no stock, no entry
    db.session.expire_all()
    assert empty.cost == 2000
    assert books_services.already_posted(f"revaluation:variant:{empty.id}:1") is None
    assert valuation.inventory_difference() == 0
