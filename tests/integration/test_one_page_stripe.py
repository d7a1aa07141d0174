"""The one-page checkout with the Stripe provider: placing from the page sends the
customer to Stripe's payment page (the real stripe library against the local fake)."""

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.inventory.services import stock_for
from shop.orders.models import Order
from tests.factories.store import ridge_tent
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.one_page_helpers import place_from_page, shown_total, update


@pytest.fixture
def app_config(stripe_fake):
    return {
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_WEBHOOK_SECRET": "whsec_test",
        "STRIPE_API_BASE": stripe_fake.url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


def test_placing_on_the_one_page_goes_to_stripe_for_the_total_shown(client, stripe_fake):
    tent = ridge_tent(seed_reference_data())
    client.post("/cart/add", data={"variant_id": str(tent.id), "quantity": "2"})
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Demo store" not in page  # a real provider: no test-card note
    response = place_from_page(client, page)
    order = db.session.scalar(sa.select(Order))
    [payment] = order.payments
    session = stripe_fake.sessions[payment.reference]
    assert response.status_code == 303 and response.headers["Location"] == session["url"]
    [created] = stripe_fake.created()
    [item] = created.params["line_items"]
    assert item["price_data"]["unit_amount"] == str(order.total)
    assert f"${order.total / 100:,.2f}" == shown_total(page)
    assert order.status == "pending_payment" and stock_for(tent.id).allocated == 2


def test_a_tampered_choice_never_reaches_stripe(client, stripe_fake):
    tent = ridge_tent(seed_reference_data())
    client.post("/cart/add", data={"variant_id": str(tent.id), "quantity": "1"})
    update(client)
    page = client.get("/checkout/").get_data(as_text=True)
    response = place_from_page(client, page, service="99999")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0
    assert stripe_fake.created() == []
