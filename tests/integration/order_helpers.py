"""Orders for back-office tests, placed the way customers place them: through checkout."""

import lxml.html
import sqlalchemy as sa

from shop.extensions import db
from shop.orders.models import Order
from shop.shipping.models import ShippingService
from tests.integration.checkout_helpers import choose_delivery, fill_address, pay, place

PAID_CARD = "4242424242424242"


def service_id(code: str) -> int:
    return db.session.scalar(sa.select(ShippingService.id).where(ShippingService.code == code))


def buy(app, items, *, email="guest@example.com", service="regular", policy="ship_complete",
        card=PAID_CARD, client=None, **address) -> Order:  # fmt: skip
    """A guest buys [(variant, quantity), ...] with the demo provider; card=None leaves it unpaid.

    Reference data (seed_reference_data) must be there already. client: the guest's
    browser (a fresh one unless given).
    """
    client = client or app.test_client()
    for variant, quantity in items:
        client.post("/cart/add", data={"variant_id": str(variant.id), "quantity": str(quantity)})
    fill_address(client, email=email, **address)
    choose_delivery(client, service_id(service), policy)
    response = place(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    if card is not None:
        pay(client, location, card)
    number = location.rstrip("/").rsplit("/", 1)[-1]
    return db.session.scalar(sa.select(Order).where(Order.number == number))


RACER_ADDRESS = {
    "full_name": "Racer", "company": None, "line1": "1 Yonge St", "line2": None,
    "city": "Toronto", "province": "ON", "postal_code": "M5E 1E5", "country": "CA", "phone": None,
}  # fmt: skip


def reviewed_cart(variant_id: int, quantity: int, email: str):
    """A cart of one item and the checkout its customer reviewed: (cart, request, token).

    For races: the customer places the order later, from another thread, with
    orders.place_order(cart=..., request=..., reviewed=token, ...).
    """
    from shop.cart.models import Cart, CartLine
    from shop.orders import services as orders

    cart = Cart(lines=[CartLine(variant_id=variant_id, quantity=quantity)])
    db.session.add(cart)
    db.session.flush()
    request = orders.CheckoutRequest(email, RACER_ADDRESS, service_id("regular"), "ship_complete")
    priced = orders.price_checkout(cart=cart, request=request)
    return cart, request, orders.review_fingerprint(cart=cart, request=request, priced=priced)


def cancel_from_page(client, page: str):
    """ "Cancel the whole order" on the order page, then "Yes" on the question it asks;
    returns the page the customer ends on."""
    link = lxml.html.fromstring(page).xpath('//a[.="Cancel the whole order"]')[0]
    question = lxml.html.fromstring(client.get(link.get("href")).get_data(as_text=True))
    form = question.xpath('//form[.//button[.="Yes, cancel the whole order"]]')[0]
    return client.post(form.action, data=dict(form.form_values()), follow_redirects=True)
