"""What the checkout leaves in the browser's session cookie.

The cookie is only signed, not encrypted: anyone holding it (a shared computer, a
proxy log) can read it. So it never holds the customer's name, address, phone or
email, and after logout it no longer opens the orders placed in that browser.
"""

import json

import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface

from shop.extensions import db
from shop.orders.models import Order
from shop.shipping.models import ShippingService
from tests.conftest import log_in
from tests.factories.store import ridge_tent
from tests.integration.checkout_helpers import (
    ADDRESS,
    choose_delivery,
    fill_address,
    pay,
    place,
    seed_reference_data,
)

PHONE = "416-555-0199"


@pytest.fixture
def store(app):
    tent = ridge_tent(seed_reference_data(), boxed=False)
    regular = db.session.scalar(sa.select(ShippingService).filter_by(code="regular"))
    return {"tent": tent, "regular": regular}


def session_contents(app, client) -> str:
    """The session cookie as anyone holding it can read it (signed, not encrypted)."""
    cookie = client.get_cookie("session", domain="shop.test")
    if cookie is None:
        return ""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return json.dumps(serializer.loads(cookie.value))


def buy_a_tent(client, store, **address):
    client.post("/cart/add", data={"variant_id": str(store["tent"].id), "quantity": "1"})
    fill_address(client, phone=PHONE, **address)
    choose_delivery(client, store["regular"].id)
    pay(client, place(client).headers["Location"])
    return db.session.scalar(sa.select(Order).order_by(Order.id.desc()))


def test_the_session_cookie_holds_no_name_address_phone_or_email(app, client, store):
    client.post("/cart/add", data={"variant_id": str(store["tent"].id), "quantity": "1"})
    page = fill_address(client, phone=PHONE).get_data(as_text=True)
    assert "Shipping service" in page  # the address step is done
    readable = session_contents(app, client)
    for field in ("email", "full_name", "line1", "city", "postal_code"):
        assert ADDRESS[field] not in readable, field
    assert PHONE not in readable

    page = choose_delivery(client, store["regular"].id).get_data(as_text=True)
    assert "Review your order" in page and ADDRESS["line1"] in page  # kept on the server
    assert ADDRESS["email"] not in session_contents(app, client)
    page = pay(client, place(client).headers["Location"]).get_data(as_text=True)
    order = db.session.scalar(sa.select(Order))
    assert f"Order {order.number} is confirmed" in page
    assert (order.email, order.ship_full_name, order.ship_phone) == (
        ADDRESS["email"], ADDRESS["full_name"], PHONE,
    )  # fmt: skip


def test_two_browsers_keep_their_own_checkout(app, client, store):
    other = app.test_client()
    for browser, name in ((client, "Gail Guest"), (other, "Olga Other")):
        browser.post("/cart/add", data={"variant_id": str(store["tent"].id), "quantity": "1"})
        fill_address(browser, full_name=name)
        choose_delivery(browser, store["regular"].id)
    assert "Gail Guest" in client.get("/checkout/").get_data(as_text=True)
    assert "Olga Other" in other.get("/checkout/").get_data(as_text=True)
    assert "Gail Guest" not in other.get("/checkout/").get_data(as_text=True)


def test_a_guest_who_logs_in_during_checkout_keeps_the_address(client, customer, store):
    client.post("/cart/add", data={"variant_id": str(store["tent"].id), "quantity": "1"})
    fill_address(client)
    log_in(client, customer.email)
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Shipping service" in page  # not sent back to the address step
    choose_delivery(client, store["regular"].id)
    assert ADDRESS["line1"] in client.get("/checkout/").get_data(as_text=True)


def test_after_logout_the_browser_no_longer_opens_the_customers_order(client, customer, store):
    log_in(client, customer.email)
    order = buy_a_tent(client, store, email=customer.email)
    assert order.user_id == customer.id
    assert client.get(f"/orders/{order.number}").status_code == 200
    client.post("/account/logout")
    assert client.get(f"/orders/{order.number}").status_code == 404
    # the link from the confirmation email still works
    response = client.get(f"/orders/{order.number}?t={order.access_token}")
    assert response.status_code == 200


def test_logout_forgets_a_guest_order_placed_in_that_browser(app, client, customer, store):
    order = buy_a_tent(client, store)
    assert client.get(f"/orders/{order.number}").status_code == 200  # the guest sees it
    log_in(client, customer.email)
    client.post("/account/logout")
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert order.number not in session_contents(app, client)
