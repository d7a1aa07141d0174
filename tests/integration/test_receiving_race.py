"""Two warehouse staff receive the same purchase order at the same moment.

Real threads, each with its own app context and database connection, released
together by a barrier: the purchase order's row lock (PostgreSQL) or the write
lock taken at BEGIN (SQLite) makes the second wait and then see what the first
received, so the stock goes up once per unit ordered, never twice.
"""

import pytest
import sqlalchemy as sa

from shop.accounts.models import User
from shop.backorders import purchase_orders
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.orders.models import OrderLine
from shop.purchasing import status as st
from shop.purchasing.models import PurchaseOrder
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import (
    assert_stock_is_its_movements,
    backordered_item,
    mails,
    receipts_posted,
    sent_po,
)
from tests.integration.race_helpers import at_once

RECEIVERS = 2
ORDERED = 6


@pytest.fixture
def stove(app):
    return backordered_item(seed_reference_data())


def test_two_staff_receiving_the_same_order_at_once_add_the_stock_once(app, stove, staff):
    order = buy(app, [(stove, 4)])
    po = sent_po(stove, ORDERED, unit_cost=1000)
    po_id, line_id = po.id, po.lines[0].id
    user_ids = [staff["warehouse"].id, staff["owner"].id]
    received = []

    def receiver(user_id: int):
        def receive():
            user = db.session.get(User, user_id)
            po = db.session.get(PurchaseOrder, po_id)
            receipt = purchase_orders.receive_purchase_order(
                po=po, quantities={line_id: ORDERED}, user=user
            )
            received.append(receipt.units)

        return receive

    outcome = at_once(app, *[receiver(u) for u in user_ids])
    assert outcome.failed == []  # a deadlock or a 500 would land here
    assert received == [ORDERED]
    assert len(outcome.refused) == 1 and "received" in outcome.refused[0]
    db.session.expire_all()
    stock = stock_for(stove.id)
    assert stock.on_hand == ORDERED
    assert stock.allocated == 4
    assert_stock_is_its_movements(stove)
    po = db.session.get(PurchaseOrder, po_id)
    assert po.status == st.RECEIVED and po.lines[0].quantity_received == ORDERED
    assert len(receipts_posted()) == 1
    assert len(mails("backorder_allocated")) == 1
    line = db.session.scalar(sa.select(OrderLine).where(OrderLine.order_id == order.id))
    assert (line.quantity_allocated, line.quantity_backordered) == (4, 0)


def test_two_partial_receipts_at_once_both_count(app, stove, staff):
    po = sent_po(stove, ORDERED, unit_cost=1000)
    po_id, line_id = po.id, po.lines[0].id
    users = [staff["warehouse"].id, staff["owner"].id]

    def receiver(user_id: int):
        def receive():
            user = db.session.get(User, user_id)
            po = db.session.get(PurchaseOrder, po_id)
            purchase_orders.receive_purchase_order(po=po, quantities={line_id: 3}, user=user)

        return receive

    outcome = at_once(app, *[receiver(u) for u in users])
    assert outcome.failed == outcome.refused == []
    db.session.expire_all()
    assert stock_for(stove.id).on_hand == ORDERED
    assert_stock_is_its_movements(stove)
    assert db.session.get(PurchaseOrder, po_id).status == st.RECEIVED
    assert sorted(e.source_key for e in receipts_posted()) == [
        f"receipt:{po.number}:1",
        f"receipt:{po.number}:2",
    ]
