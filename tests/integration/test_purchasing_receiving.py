"""Receiving purchase orders: stock in, the books, backorders served oldest first, emails.

Every scenario runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.backorders import purchase_orders
from shop.clock import store_today
from shop.extensions import db
from shop.inventory.models import StockMovement
from shop.inventory.services import stock_for
from shop.orders.models import OrderEvent, OrderLine
from shop.purchasing import status as st
from shop.purchasing.errors import PurchasingError
from shop.purchasing.models import PurchaseOrder
from tests.conftest import log_in
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import (
    assert_stock_is_its_movements,
    backordered_item,
    entry_amounts,
    mails,
    receipts_posted,
    sent_po,
)

GRNI = chart.RECEIVED_NOT_BILLED  # goods received not billed


@pytest.fixture
def classes(app):
    return seed_reference_data()


@pytest.fixture
def stove(classes):
    return backordered_item(classes)


def backorder_line(order) -> OrderLine:
    db.session.expire_all()
    return db.session.scalar(sa.select(OrderLine).where(OrderLine.order_id == order.id))


def test_receiving_less_than_both_need_serves_the_oldest_paid_order_first(app, stove, staff):
    first = buy(app, [(stove, 3)], email="first@example.com")
    second = buy(app, [(stove, 2)], email="second@example.com")
    po = sent_po(stove, 4, unit_cost=1500)
    assert backorder_line(first).quantity_backordered == 3

    receipt = purchase_orders.receive_purchase_order(
        po=po, quantities={po.lines[0].id: 4}, user=staff["warehouse"]
    )
    db.session.commit()

    assert receipt.orders == [first.number, second.number]
    one, two = backorder_line(first), backorder_line(second)
    assert (one.quantity_allocated, one.quantity_backordered) == (3, 0)
    assert (two.quantity_allocated, two.quantity_backordered) == (1, 1)
    stock = stock_for(stove.id)
    assert (stock.on_hand, stock.allocated) == (4, 4)
    db.session.refresh(po)
    assert po.status == st.RECEIVED
    [movement] = db.session.scalars(
        sa.select(StockMovement).where(StockMovement.reason == "receipt")
    ).all()
    assert (movement.quantity, movement.reference) == (4, po.number)
    assert movement.user_id == staff["warehouse"].id
    assert_stock_is_its_movements(stove)

    # The customers are told, once each: the first that it ships soon (not yet "on its
    # way": nothing has left), the second
    # (shipping complete, one unit still to come) that it has arrived and waits.
    [to_first, to_second] = mails("backorder_allocated")
    assert to_first.to_address == "first@example.com"
    assert "is in and ships soon" in to_first.subject and "3 x Trail Stove" in to_first.body_text
    assert "on its way" not in to_first.subject + to_first.body_text + to_first.body_html
    assert to_second.to_address == "second@example.com"
    assert "1 x Trail Stove" in to_second.body_text
    assert "leaves once the rest arrives" in to_second.body_text
    kinds = db.session.scalars(
        sa.select(OrderEvent.order_id).where(OrderEvent.kind == "backorder_allocated")
    ).all()
    assert sorted(kinds) == sorted([first.id, second.id])

    # Inventory / accounts payable, at the purchase order's unit cost, once.
    [entry] = receipts_posted()
    assert entry.source_key == f"receipt:{po.number}:1"
    assert entry_amounts(entry) == {chart.INVENTORY: (6000, 0), GRNI: (0, 6000)}


def test_an_unpaid_order_waits_while_a_paid_one_is_served(app, stove, staff):
    unpaid = buy(app, [(stove, 1)], email="unpaid@example.com", card=None)
    paid = buy(app, [(stove, 1)], email="paid@example.com")
    po = sent_po(stove, 1)
    receipt = purchase_orders.receive_purchase_order(
        po=po, quantities={po.lines[0].id: 1}, user=staff["warehouse"]
    )
    db.session.commit()
    assert receipt.orders == [paid.number]
    assert backorder_line(unpaid).quantity_backordered == 1
    assert backorder_line(paid).quantity_allocated == 1


def test_partial_receipt_then_the_rest(app, stove, staff):
    order = buy(app, [(stove, 5)], policy="ship_available_now")
    po = sent_po(stove, 5, unit_cost=1200)
    line_id = po.lines[0].id

    purchase_orders.receive_purchase_order(po=po, quantities={line_id: 2}, user=staff["warehouse"])
    db.session.commit()
    db.session.refresh(po)
    assert po.status == st.PARTIALLY_RECEIVED
    assert (po.lines[0].quantity_received, po.lines[0].outstanding) == (2, 3)
    line = backorder_line(order)
    assert (line.quantity_allocated, line.quantity_backordered) == (2, 3)
    assert_stock_is_its_movements(stove)

    purchase_orders.receive_purchase_order(po=po, quantities={line_id: 3}, user=staff["owner"])
    db.session.commit()
    db.session.refresh(po)
    assert po.status == st.RECEIVED
    line = backorder_line(order)
    assert (line.quantity_allocated, line.quantity_backordered) == (5, 0)
    assert stock_for(stove.id).on_hand == 5
    assert_stock_is_its_movements(stove)

    first, second = receipts_posted()
    assert [first.source_key, second.source_key] == [
        f"receipt:{po.number}:1",
        f"receipt:{po.number}:2",
    ]
    assert entry_amounts(first) == {chart.INVENTORY: (2400, 0), GRNI: (0, 2400)}
    assert entry_amounts(second) == {chart.INVENTORY: (3600, 0), GRNI: (0, 3600)}
    # One email per order per receipt: two deliveries, two emails.
    assert len(mails("backorder_allocated")) == 2
    with pytest.raises(PurchasingError, match="received"):
        purchase_orders.receive_purchase_order(po=po, quantities={line_id: 1}, user=staff["owner"])
    db.session.rollback()


def test_the_expected_date_follows_the_purchase_order_until_it_is_cancelled(app, stove, staff):
    order = buy(app, [(stove, 2)])
    today = store_today()
    handling = app.config["HANDLING_DAYS"]
    assert backorder_line(order).expected_ship_date == today + timedelta(days=10 + handling)
    po = sent_po(stove, 2, expected=today + timedelta(days=4))
    assert backorder_line(order).expected_ship_date == today + timedelta(days=4 + handling)
    purchase_orders.cancel_purchase_order(po=po, user=staff["sales"])
    db.session.commit()
    assert backorder_line(order).expected_ship_date == today + timedelta(days=10 + handling)


# --- through the back office ------------------------------------------------------------


def receive_page(client, po):
    return client.get(f"/admin/purchase-orders/{po.id}/receive")


def post_receive(client, po, quantities: dict, allow_over=False):
    data = {f"line_{line_id}": value for line_id, value in quantities.items()}
    if allow_over:
        data["allow_over"] = "y"
    return client.post(f"/admin/purchase-orders/{po.id}/receive", data=data)


def snapshot(variant, po):
    db.session.expire_all()
    stock = stock_for(variant.id)
    po = db.session.get(PurchaseOrder, po.id)
    return (
        stock.on_hand,
        stock.allocated,
        db.session.scalar(sa.select(sa.func.count(StockMovement.id))),
        [(line.quantity_received) for line in po.lines],
        po.status,
        len(receipts_posted()),
        len(mails("backorder_allocated")),
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-2", "Enter a whole number from 0 to 1,000,000."),
        ("abc", "Enter a whole number, like 5."),
        ("2.5", "Enter a whole number, like 5."),
        ("4", 'Tick "receive more than ordered" to keep the extra units.'),
    ],
)
def test_bad_quantities_get_a_message_and_change_nothing(app, stove, staff, typed, message):
    buy(app, [(stove, 1)])
    po = sent_po(stove, 3)
    before = snapshot(stove, po)
    client = app.test_client()
    log_in(client, staff["warehouse"].email)
    response = post_receive(client, po, {po.lines[0].id: typed})
    assert response.status_code == 422
    assert any(message in e for e in errors_beside(text_of(response), f"line_{po.lines[0].id}"))
    assert snapshot(stove, po) == before


def test_nothing_entered_is_refused(app, stove, staff):
    po = sent_po(stove, 3)
    before = snapshot(stove, po)
    client = app.test_client()
    log_in(client, staff["warehouse"].email)
    response = post_receive(client, po, {po.lines[0].id: "0"})
    assert response.status_code == 422
    assert "Enter how many units arrived on at least one line." in flashes(text_of(response))
    assert snapshot(stove, po) == before


def test_more_than_ordered_with_the_box_ticked_is_received(app, stove, staff):
    order = buy(app, [(stove, 1)])
    po = sent_po(stove, 3, unit_cost=1000)
    client = app.test_client()
    log_in(client, staff["warehouse"].email)
    page = text_of(receive_page(client, po))
    assert "Receive more than ordered" in page
    assert 'value="3"' in page  # each line starts at what is still to come
    response = post_receive(client, po, {po.lines[0].id: "4"}, allow_over=True)
    assert response.status_code == 302
    db.session.expire_all()
    assert stock_for(stove.id).on_hand == 4
    assert db.session.get(PurchaseOrder, po.id).status == st.RECEIVED
    assert backorder_line(order).quantity_allocated == 1
    [entry] = receipts_posted()
    assert entry_amounts(entry) == {chart.INVENTORY: (4000, 0), GRNI: (0, 4000)}
    assert_stock_is_its_movements(stove)
    page = text_of(client.get(f"/admin/purchase-orders/{po.id}"))
    assert "Received" in page


def test_sales_staff_may_not_receive(app, stove, staff):
    po = sent_po(stove, 3)
    client = app.test_client()
    log_in(client, staff["sales"].email)
    assert receive_page(client, po).status_code == 403
    assert post_receive(client, po, {po.lines[0].id: "3"}).status_code == 403
    assert stock_for(stove.id).on_hand == 0
