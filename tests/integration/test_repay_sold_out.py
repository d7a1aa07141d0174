"""A declined order paid again after its items were sold to someone else: never oversold.

A non-backorderable item with 10 on hand: A orders 10 and the card is declined
(the 10 go back on the shelf), B buys the 10, then A pays the failed order with
a good card. The demo provider checks, under the stock locks, before it charges.
"""

import sqlalchemy as sa

from shop.billing.models import Invoice
from shop.extensions import db
from shop.inventory.services import movement_total, stock_for
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import flashes
from tests.integration.checkout_helpers import (
    choose_delivery,
    fill_address,
    pay,
    place,
    seed_reference_data,
)
from tests.integration.order_helpers import buy, service_id

DECLINED = "4000000000000002"


def test_a_declined_order_paid_again_after_the_stock_sold_is_refused_before_charging(app):
    classes = seed_reference_data()
    lantern = VariantFactory(
        product=ProductFactory(name="Storm Lantern", backorderable=False),
        tax_class=classes["standard"], stock=10,
    )  # fmt: skip
    a = app.test_client()
    a.post("/cart/add", data={"variant_id": str(lantern.id), "quantity": "10"})
    fill_address(a, email="a@example.com")
    choose_delivery(a, service_id("regular"))
    location = place(a).headers["Location"]
    assert "Payment declined" in pay(a, location, DECLINED).get_data(as_text=True)
    declined = db.session.scalar(sa.select(Order).where(Order.email == "a@example.com"))
    assert stock_for(lantern.id).allocated == 0

    b = buy(app, [(lantern, 10)], email="b@example.com")
    assert b.status == "paid" and stock_for(lantern.id).allocated == 10

    response = pay(a, location)  # a good card
    assert response.status_code == 200
    assert flashes(response.get_data(as_text=True)) == [
        "Sorry, these items are no longer available: 10 x Storm Lantern (0 left). "
        "Your payment was not taken."
    ]
    db.session.expire_all()
    order = db.session.get(Order, declined.id)
    assert order.status == "payment_failed" and order.paid_at is None
    assert [(ln.quantity_allocated, ln.quantity_backordered) for ln in order.lines] == [(0, 0)]
    stock = stock_for(lantern.id)
    assert (stock.on_hand, stock.allocated) == (10, 10)  # 10 sold of 10, not 20
    assert stock.on_hand == movement_total(lantern.id)
    assert db.session.scalar(sa.select(Invoice.id).where(Invoice.order_id == order.id)) is None
    kinds = db.session.scalars(sa.select(OrderEvent.kind).where(OrderEvent.order_id == order.id))
    assert "paid" not in list(kinds)
    to_a = db.session.scalars(
        sa.select(OutboxMessage.kind).where(OutboxMessage.to_address == "a@example.com")
    )
    assert list(to_a) == []
