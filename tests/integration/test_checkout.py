"""A customer checks out with the demo provider: address, delivery, review, pay."""

import pytest
import sqlalchemy as sa

from shop.cart import services as carts
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.shipping.models import ShippingService
from tests.factories import ProductFactory, VariantFactory
from tests.factories.store import tent_and_stove
from tests.integration.checkout_helpers import (
    choose_delivery,
    fill_address,
    pay,
    place,
    reviewed_token,
)


@pytest.fixture
def store(app):
    store = tent_and_stove()
    services = {s.code: s for s in db.session.scalars(sa.select(ShippingService))}
    return {"tent": store["tent"], "stove": store["stove"], "services": services}


def add(client, variant, quantity=1):
    client.post("/cart/add", data={"variant_id": str(variant.id), "quantity": str(quantity)})


def test_guest_buys_in_stock_item_with_demo_card(client, store):
    add(client, store["tent"], 2)
    page = fill_address(client).get_data(as_text=True)
    assert "Shipping service" in page and "Canada Post Regular Parcel" in page
    page = choose_delivery(client, store["services"]["expedited"].id).get_data(as_text=True)
    assert "Review your order" in page
    assert "HST 13%" in page
    response = place(client)
    assert response.status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert order.status == "pending_payment"
    assert stock_for(store["tent"].id).allocated == 2
    page = pay(client, response.headers["Location"]).get_data(as_text=True)
    assert f"Order {order.number} is confirmed" in page
    db.session.refresh(order)
    assert order.status == "paid"
    assert order.subtotal == 69800
    assert order.total == order.subtotal + order.shipping_total + order.tax_total
    [tax] = order.taxes
    assert tax.component == "HST" and tax.amount == round((69800 + order.shipping_total) * 13 / 100)
    mail = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "order_confirmation")
    )
    assert mail.to_address == "guest@example.com"
    assert order.number in mail.subject and "Ridge Tent" in mail.body_text


def test_backordered_item_offers_both_policies_with_prices(client, store):
    add(client, store["tent"], 1)
    add(client, store["stove"], 1)
    page = fill_address(client).get_data(as_text=True)
    assert "Ship what is in stock now, the rest when it arrives" in page
    assert "Wait and ship everything together" in page
    page = choose_delivery(client, store["services"]["regular"].id, "ship_available_now")
    text = page.get_data(as_text=True)
    assert "in 2 shipments" in text
    response = place(client)
    pay(client, response.headers["Location"])
    order = db.session.scalar(sa.select(Order))
    stove_line = next(line for line in order.lines if line.sku == "STOVE-1")
    assert stove_line.quantity_backordered == 1 and stove_line.expected_ship_date is not None
    assert order.status == "paid" and order.shipment_count == 2


def test_declined_card_releases_stock_and_a_good_card_then_pays(client, store):
    add(client, store["tent"], 1)
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    location = place(client).headers["Location"]
    page = pay(client, location, "4000000000000002").get_data(as_text=True)
    assert "Payment declined" in page
    order = db.session.scalar(sa.select(Order))
    assert order.status == "payment_failed"
    assert stock_for(store["tent"].id).allocated == 0
    pay(client, location)
    db.session.refresh(order)
    assert order.status == "paid"
    assert stock_for(store["tent"].id).allocated == 1


def test_old_step_pages_lead_to_the_one_page_which_asks_for_the_address_first(client, store):
    add(client, store["tent"], 1)
    for old in ("/checkout/review", "/checkout/delivery"):
        response = client.get(old)
        assert response.status_code == 302 and response.headers["Location"] == "/checkout/"
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Enter your address to see the delivery choices and the total." in page
    assert "Place order and pay" not in page
    response = client.post("/checkout/review", data={"reviewed": "0" * 32}, follow_redirects=True)
    assert "Please choose how to ship your order first." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_tampered_review_token_changes_nothing(client, store):
    add(client, store["tent"], 1)
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    page = client.post("/checkout/review", data={"reviewed": "0" * 32}, follow_redirects=True)
    assert "Please check the new figures" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0
    assert stock_for(store["tent"].id).allocated == 0


def test_cart_changed_in_another_tab_is_caught(client, store):
    add(client, store["tent"], 1)
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    token = reviewed_token(client.get("/checkout/").get_data(as_text=True))
    add(client, store["tent"], 1)  # the other tab
    page = client.post("/checkout/review", data={"reviewed": token}, follow_redirects=True)
    assert "Please check the new figures" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_unknown_service_or_policy_is_refused(client, store):
    add(client, store["tent"], 1)
    fill_address(client)
    page = choose_delivery(client, 99999).get_data(as_text=True)
    assert "Please choose one of the shipping services shown." in page
    page = choose_delivery(client, store["services"]["regular"].id, "teleport").get_data(
        as_text=True
    )
    assert "Please choose when to ship." in page


def test_another_visitor_cannot_see_or_pay_the_order(app, client, store):
    add(client, store["tent"], 1)
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    location = place(client).headers["Location"]
    order = db.session.scalar(sa.select(Order))
    stranger = app.test_client()
    assert stranger.get(f"/orders/{order.number}").status_code == 404
    assert stranger.post(location, data={"card_number": "4242424242424242"}).status_code == 404
    assert stranger.get(f"/orders/{order.number}?t=wrong").status_code == 404
    assert stranger.get(f"/orders/{order.number}?t={order.access_token}").status_code == 200


def test_logged_in_customer_sees_the_order_in_their_account(client, customer, store):
    from tests.conftest import log_in

    log_in(client, customer.email)
    add(client, store["tent"], 1)
    fill_address(client, email=customer.email)
    choose_delivery(client, store["services"]["regular"].id)
    pay(client, place(client).headers["Location"])
    order = db.session.scalar(sa.select(Order))
    assert order.user_id == customer.id
    page = client.get("/account/").get_data(as_text=True)
    assert order.number in page and "Paid" in page


def test_placing_forgets_the_guest_cart_so_its_id_never_names_another_cart(app, client, store):
    add(client, store["tent"], 1)
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    assert place(client).status_code == 303
    with client.session_transaction() as session:
        assert carts.SESSION_KEY not in session
    # SQLite hands the deleted cart's id to the next new cart: the first guest must not see it.
    stranger = app.test_client()
    add(stranger, store["stove"], 1)
    assert "Camp Stove" not in client.get("/cart/").get_data(as_text=True)


def last_lamp(store):
    """One unit of a lamp that cannot be backordered."""
    lamp = VariantFactory(
        product=ProductFactory(name="Last Lamp", backorderable=False), sku="LAMP-1",
        tax_class=store["tent"].tax_class, stock=1,
    )  # fmt: skip
    db.session.commit()
    return lamp


def test_item_sold_out_after_it_went_into_the_cart_sends_delivery_back_to_the_cart(client, store):
    from shop.inventory.reasons import ADJUSTMENT
    from shop.inventory.services import adjust_stock

    lamp = last_lamp(store)
    add(client, lamp, 1)
    add(client, store["stove"], 1)  # backordered, with a ship date
    fill_address(client)
    adjust_stock(variant_id=lamp.id, quantity=-1, reason=ADJUSTMENT, note="broken")
    db.session.commit()
    response = client.get("/checkout/", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/cart/"
    assert "Only 0 of Last Lamp left" in response.get_data(as_text=True)


def test_a_background_reprice_of_a_sold_out_cart_is_told_to_go_to_the_cart(client, store):
    """store.js is told where to go (it does not follow a redirect, which would use up the
    message): the cart page then says what sold out."""
    from shop.inventory.reasons import ADJUSTMENT
    from shop.inventory.services import adjust_stock

    lamp = last_lamp(store)
    add(client, lamp, 1)
    fill_address(client)
    adjust_stock(variant_id=lamp.id, quantity=-1, reason=ADJUSTMENT, note="broken")
    db.session.commit()
    response = client.post(
        "/checkout/", data={"action": "update"}, headers={"X-Requested-With": "reprice"}
    )
    assert response.status_code == 204 and response.headers["X-Location"] == "/cart/"
    assert "Only 0 of Last Lamp left" in client.get("/cart/").get_data(as_text=True)


def test_the_same_ship_date_is_shown_from_product_page_to_confirmation_email(client, store):
    from shop.formatting import local_date
    from shop.promise.availability import availability

    expected = local_date(availability(store["stove"], 1).ship_date)
    product_page = client.get(f"/p/{store['stove'].product.slug}").get_data(as_text=True)
    assert f"(around {expected})" in product_page
    add(client, store["stove"], 1)
    assert f"(around {expected})" in client.get("/cart/").get_data(as_text=True)
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    assert f"about {expected}" in client.get("/checkout/").get_data(as_text=True)
    page = pay(client, place(client).headers["Location"]).get_data(as_text=True)
    assert f"ships about {expected}" in page
    mail = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "order_confirmation")
    )
    assert f"ships about {expected}" in mail.body_text


def test_money_arriving_for_a_cancelled_order_does_not_pay_it_and_is_due_back(client, store):
    """The provider gives such money back (Stripe: test_after_sale_attacks); the order stays
    cancelled and claims no stock."""
    from shop.after_sale import cancellations
    from shop.payments.services import REFUND_DUE, PaymentEventData, apply_payment_event

    add(client, store["tent"], 1)
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    location = place(client).headers["Location"]
    order = db.session.scalar(sa.select(Order))
    cancellations.cancel_order(order=order, user=None, reason="customer phoned")
    db.session.commit()
    assert client.post(location, data={"card_number": "4242424242424242"}).status_code == 302
    # A provider may still report money for it (a Checkout page left open, say).
    outcome = apply_payment_event(
        PaymentEventData(
            provider="demo", event_id="late-1", event_type="demo.charge.succeeded",
            outcome="succeeded", order_id=order.id, amount=order.total, currency="CAD",
        )
    )  # fmt: skip
    db.session.commit()
    assert outcome == REFUND_DUE
    db.session.refresh(order)
    assert order.status == "cancelled" and order.paid_at is None
    assert stock_for(store["tent"].id).allocated == 0


def test_a_referral_link_earns_its_agent_a_commission_when_the_order_is_paid(client, store):
    from decimal import Decimal

    from shop.accounting.agents import create_agent
    from shop.accounting.models import JournalEntry

    create_agent(name="Jane Partner", email="jane@example.com", code="jane", rate=Decimal("0.05"))
    db.session.commit()
    client.get("/?ref=JANE")
    add(client, store["tent"], 1)  # $349.00 of goods
    fill_address(client)
    choose_delivery(client, store["services"]["regular"].id)
    pay(client, place(client).headers["Location"])
    order = db.session.scalar(sa.select(Order))
    assert order.commission_rate == Decimal("0.05")
    entry = db.session.scalar(
        sa.select(JournalEntry).where(JournalEntry.source_type == "commission")
    )
    assert [(line.account.role, line.debit, line.credit) for line in entry.lines] == [
        ("commissions", 1745, 0),
        ("commissions_payable", 0, 1745),
    ]
