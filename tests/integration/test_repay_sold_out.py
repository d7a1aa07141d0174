"""A declined order paid again after its items were sold to someone else: never oversold.

A non-backorderable item with 10 on hand: A orders 10 and the card is declined
(the 10 go back on the shelf), B buys the 10, then A pays the failed order with
a good card. The demo provider checks, under the stock locks, before it charges.
"""

import sqlalchemy as sa

from shop.billing.models import Invoice
from shop.cart.models import Cart
from shop.extensions import db
from shop.inventory.services import movement_total, stock_for
from shop.notifications.models import OutboxMessage
from shop.orders import services as orders
from shop.orders.models import Order, OrderEvent, OrderLine
from shop.payments import demo
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import flashes
from tests.integration.checkout_helpers import (
    choose_delivery,
    fill_address,
    pay,
    place,
    seed_reference_data,
)
from tests.integration.order_helpers import buy, reviewed_cart, service_id
from tests.integration.race_helpers import at_once

DECLINED = "4000000000000002"
GOOD = "4242424242424242"
ROUNDS = 5


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


def test_paying_again_while_another_customer_buys_the_same_stock_sells_it_once(app):
    """Real threads on both databases: A pays the declined order at the very moment B
    places an order for the same 10; whoever comes second is told, nothing is oversold."""
    classes = seed_reference_data()
    outcomes = []
    for n in range(ROUNDS):
        stove = VariantFactory(
            product=ProductFactory(name=f"Stove {n}", backorderable=False),
            tax_class=classes["standard"], stock=10,
        )  # fmt: skip
        declined = buy(app, [(stove, 10)], email=f"a{n}@example.com", card=DECLINED)
        cart, request, token = reviewed_cart(stove.id, 10, f"b{n}@example.com")
        order_id, cart_id, stove_id = declined.id, cart.id, stove.id
        outcomes.append(repay_while_buying(app, order_id, cart_id, request, token))
        db.session.expire_all()
        stock = stock_for(stove_id)
        assert (stock.on_hand, stock.allocated) == (10, 10)  # 10 sold of 10
        lines = db.session.scalars(sa.select(OrderLine).where(OrderLine.variant_id == stove_id))
        assert sorted((ln.quantity_allocated, ln.quantity_backordered) for ln in lines) in (
            [(10, 0)],  # A paid again; B was told before any order was made
            [(0, 0), (10, 0)],  # B's order took the 10; A was told, nothing taken
        )
    for outcome in outcomes:
        assert outcome.failed == [] and len(outcome.done) == 1
        [refused] = outcome.refused
        assert "Stove" in refused  # the one who came second is told which item is gone


def repay_while_buying(app, order_id, cart_id, request, token):
    """A pays order_id with a good card while B places the reviewed cart, at once."""

    def a_pays():
        demo.charge(order=db.session.get(Order, order_id), card_number=GOOD)
        if db.session.get(Order, order_id).status != "paid":
            raise AssertionError("the good card did not pay")

    def b_buys():
        cart = db.session.get(Cart, cart_id)
        orders.place_order(cart=cart, user=None, request=request, reviewed=token, provider="demo")

    return at_once(app, a_pays, b_buys)
