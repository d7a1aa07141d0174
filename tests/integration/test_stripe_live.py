"""Opt-in: one Checkout Session created in Stripe's real test mode.

Set STRIPE_TEST_SECRET_KEY=sk_test_... to run it; it needs the network and
leaves one expired session in that account's test data.
"""

import os

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.orders.models import Order
from shop.payments import stripe_gateway
from shop.shipping.models import ShippingService
from tests.factories.store import ridge_tent
from tests.integration.checkout_helpers import (
    choose_delivery,
    fill_address,
    place,
    seed_reference_data,
)

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")

pytestmark = pytest.mark.skipif(not KEY, reason="set STRIPE_TEST_SECRET_KEY to run against Stripe")


@pytest.fixture
def app_config():
    assert KEY.startswith("sk_test_"), "only a test-mode key may be used here"
    return {"STRIPE_SECRET_KEY": KEY, "STRIPE_API_BASE": None, "STRIPE_WEBHOOK_SECRET": "whsec_x"}


def test_a_real_test_mode_checkout_session_asks_for_the_order_total(app, client):
    tent = ridge_tent(seed_reference_data())
    client.post("/cart/add", data={"variant_id": str(tent.id), "quantity": "1"})
    fill_address(client)
    regular = db.session.scalar(sa.select(ShippingService).where(ShippingService.code == "regular"))
    choose_delivery(client, regular.id)
    assert place(client).status_code == 303
    order = db.session.scalar(sa.select(Order))

    payment = stripe_gateway.start_payment(
        order, success_url="https://shop.test/done", cancel_url="https://shop.test/back"
    )
    db.session.commit()
    assert payment.checkout_url.startswith("https://checkout.stripe.com/")
    sessions = stripe_gateway.client().v1.checkout.sessions
    session = sessions.retrieve(payment.reference)
    try:
        assert session.amount_total == order.total and session.currency == "cad"
        assert session.payment_status == "unpaid" and session.status == "open"
        assert session.metadata.order_id == str(order.id)
        assert session.client_reference_id == str(order.id)
        assert session.expires_at == int(order.expires_at.timestamp())
    finally:
        for p in order.payments:
            sessions.expire(p.reference)
