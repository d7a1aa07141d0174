"""A customer paid with Stripe cancels the order: the money goes back through Stripe's
Refund API (the local fake of Stripe), against the payment's PaymentIntent."""

import pytest
import sqlalchemy as sa

from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.refunds.models import Refund
from tests.factories.store import ridge_tent, seed_reference_data
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.test_stripe_checkout import SECRET, check_out, deliver, session_id


@pytest.fixture
def app_config(stripe_fake):
    return {
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_API_BASE": stripe_fake.url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


@pytest.fixture
def tent(app):
    return ridge_tent(seed_reference_data(), boxed=False)


def test_a_stripe_paid_order_cancelled_by_the_customer_is_refunded_through_stripe(
    client, tent, stripe_fake
):
    assert check_out(client, tent).status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert deliver(client, stripe_fake.pay(session_id(order))).json == {"outcome": "order paid"}
    page = text_of(client.get(f"/orders/{order.number}"))
    assert "Cancel the whole order" in page

    response = client.post(f"/orders/{order.number}/cancel")
    assert response.status_code == 303
    page = text_of(client.get(response.headers["Location"]))
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "cancelled"
    assert f"${order.total / 100:,.2f} is on its way back to you" in " ".join(flashes(page))
    [refund] = db.session.scalars(sa.select(Refund)).all()
    assert (refund.provider, refund.amount, refund.status) == ("stripe", order.total, "succeeded")
    made = stripe_fake.refunds[refund.reference]
    intent = stripe_fake.session(session_id(order))["payment_intent"]
    assert made["amount"] == order.total and made["payment_intent"] == intent
    assert stripe_fake.charge_of(session_id(order))["amount_refunded"] == order.total
    [email] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "order_cancelled")
    ).all()
    assert [a.filename for a in email.attachments] == [f"{refund.credit_note.number}.pdf"]


def test_stripe_down_leaves_the_cancellation_done_and_the_refund_pending(client, tent, stripe_fake):
    assert check_out(client, tent).status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert deliver(client, stripe_fake.pay(session_id(order))).json == {"outcome": "order paid"}
    stripe_fake.stop()  # Stripe cannot be reached when the customer cancels
    response = client.post(f"/orders/{order.number}/cancel")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "cancelled"
    [refund] = db.session.scalars(sa.select(Refund)).all()
    assert refund.status == "pending" and refund.last_error
    assert "Pending" in text_of(client.get(f"/orders/{order.number}"))
