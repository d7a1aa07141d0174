"""An unpaid order gives its stock back once its time is up."""

from datetime import timedelta

import sqlalchemy as sa

from shop.db import utcnow
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.orders.models import Order, OrderEvent
from shop.shipping.models import ShippingService
from tests.factories import ProductFactory, VariantFactory
from tests.integration.checkout_helpers import (
    choose_delivery,
    fill_address,
    pay,
    place,
    seed_reference_data,
)


def unpaid_order(client):
    classes = seed_reference_data()
    variant = VariantFactory(
        product=ProductFactory(name="Canoe Paddle"), tax_class=classes["standard"], stock=3
    )
    client.post("/cart/add", data={"variant_id": str(variant.id), "quantity": "2"})
    fill_address(client)
    regular = db.session.scalar(sa.select(ShippingService).where(ShippingService.code == "regular"))
    choose_delivery(client, regular.id)
    location = place(client).headers["Location"]
    return db.session.scalar(sa.select(Order)), variant, location


def test_expire_command_releases_stock_of_overdue_orders_only(app, client):
    order, variant, _ = unpaid_order(client)
    runner = app.test_cli_runner()
    assert "expired 0 unpaid orders" in runner.invoke(args=["orders", "expire"]).output
    assert stock_for(variant.id).allocated == 2

    order.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["orders", "expire"])
    assert f"expired 1 unpaid order: {order.number}" in result.output
    db.session.refresh(order)
    assert order.status == "expired"
    assert stock_for(variant.id).allocated == 0
    kinds = db.session.scalars(
        sa.select(OrderEvent.kind).where(OrderEvent.order_id == order.id)
    ).all()
    assert kinds == ["placed", "expired", "released"]


def test_an_expired_order_cannot_be_paid_with_the_demo_card(app, client):
    order, variant, location = unpaid_order(client)
    order.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    app.test_cli_runner().invoke(args=["orders", "expire"])
    page = pay(client, location).get_data(as_text=True)
    assert "Expired" in page
    db.session.refresh(order)
    assert order.status == "expired"
    assert stock_for(variant.id).allocated == 0


def test_stock_freed_by_an_expired_order_goes_to_the_oldest_paid_backorder(app):
    classes = seed_reference_data()
    lamp = VariantFactory(
        product=ProductFactory(name="Brass Lamp"), tax_class=classes["standard"], stock=1
    )
    regular = db.session.scalar(sa.select(ShippingService).where(ShippingService.code == "regular"))

    def buy(client, email):
        client.post("/cart/add", data={"variant_id": str(lamp.id), "quantity": "1"})
        fill_address(client, email=email)
        choose_delivery(client, regular.id)
        return place(client).headers["Location"]

    first, second = app.test_client(), app.test_client()
    buy(first, "slow@example.com")  # takes the only lamp, never pays
    pay(second, buy(second, "keen@example.com"))  # backordered, paid
    keen = db.session.scalar(sa.select(Order).where(Order.email == "keen@example.com"))
    assert keen.lines[0].quantity_backordered == 1

    slow = db.session.scalar(sa.select(Order).where(Order.email == "slow@example.com"))
    slow.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    runner = app.test_cli_runner()
    # At once, by the expiry itself: not at the next backorder run, minutes later.
    expired = runner.invoke(args=["orders", "expire"]).output
    assert f"expired 1 unpaid order: {slow.number}; allocated stock to 1 order" in expired
    db.session.refresh(keen)
    assert (keen.lines[0].quantity_allocated, keen.lines[0].quantity_backordered) == (1, 0)
    assert stock_for(lamp.id).allocated == 1
    assert "allocated stock to 0 orders" in runner.invoke(args=["backorders", "allocate"]).output


def test_an_order_that_cannot_expire_is_logged_and_the_others_still_expire(app, caplog):
    classes = seed_reference_data()
    regular = db.session.scalar(sa.select(ShippingService).where(ShippingService.code == "regular"))
    variants = [
        VariantFactory(product=ProductFactory(name=name), tax_class=classes["standard"], stock=3)
        for name in ("Axe", "Bucket", "Compass")
    ]
    for variant in variants:
        client = app.test_client()
        client.post("/cart/add", data={"variant_id": str(variant.id), "quantity": "1"})
        fill_address(client, email=f"{variant.product.name.lower()}@example.com")
        choose_delivery(client, regular.id)
        place(client)
    placed = db.session.scalars(sa.select(Order).order_by(Order.id)).all()
    for order in placed:
        order.expires_at = utcnow() - timedelta(minutes=1)
    # The bucket's stock row was edited by hand: it no longer holds the order's allocation.
    stock_for(variants[1].id).allocated = 0
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    first, bad, last = placed
    assert f"expired 2 unpaid orders: {first.number}, {last.number}" in result.output
    assert f"1 could not be expired (see the log): {bad.number}" in result.output
    assert f"order {bad.number} could not be expired" in caplog.text
    db.session.expire_all()
    assert [o.status for o in placed] == ["expired", "pending_payment", "expired"]
    assert [stock_for(v.id).allocated for v in variants] == [0, 0, 0]
    kinds = db.session.scalars(sa.select(OrderEvent.kind).where(OrderEvent.order_id == bad.id))
    assert list(kinds) == ["placed"]  # nothing of the failed attempt is kept
