"""Orders for back-office tests, placed the way customers place them: through checkout."""

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
