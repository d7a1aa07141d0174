"""Checkout with the Stripe provider: the real stripe library against a local fake of
Stripe's API, and webhooks signed exactly as Stripe signs them."""

import json
import logging
import re
import time

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import JournalEntry
from shop.extensions import db
from shop.inventory.services import stock_for
from shop.notifications.models import OutboxMessage
from shop.order_history import event_text
from shop.orders.models import Order, OrderEvent, PaymentEvent
from shop.payments import stripe_gateway
from shop.shipping.models import ShippingService
from tests.factories import ProductFactory, VariantFactory
from tests.factories.store import ridge_tent
from tests.fakes.stripe_server import closed_port_url, sign
from tests.integration.checkout_helpers import (
    choose_delivery,
    fill_address,
    place,
    seed_reference_data,
)

SECRET = "whsec_test"


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
    return ridge_tent(seed_reference_data())


def check_out(client, tent, quantity=2):
    client.post("/cart/add", data={"variant_id": str(tent.id), "quantity": str(quantity)})
    fill_address(client)
    regular = db.session.scalar(sa.select(ShippingService).where(ShippingService.code == "regular"))
    choose_delivery(client, regular.id)
    return place(client)


@pytest.fixture
def order(client, tent):
    """A guest's order of two tents, placed and sent to the fake's payment page."""
    response = check_out(client, tent)
    assert response.status_code == 303
    return db.session.scalar(sa.select(Order))


def session_id(order) -> str:
    [payment] = order.payments
    return payment.reference


def deliver(client, event: dict, *, secret: str = SECRET, timestamp: int | None = None):
    body = json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": sign(body, secret, timestamp),
    }
    return client.post("/webhooks/stripe", data=body, headers=headers)


def deliver_while_stripe_is_down(app, client, event: dict):
    """Deliver the event while every call the store makes to Stripe is refused."""
    url, refusing = closed_port_url()
    app.config["STRIPE_API_BASE"] = url
    try:
        return deliver(client, event)
    finally:
        refusing.close()


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def event_kinds(order) -> list[str]:
    return [e.kind for e in db.session.scalars(sa.select(OrderEvent).filter_by(order_id=order.id))]


def confirmations() -> int:
    return count(OutboxMessage, OutboxMessage.kind == "order_confirmation")


def test_stripe_checkout_is_paid_by_the_webhook_not_the_return_url(client, tent, stripe_fake):
    response = check_out(client, tent)
    order = db.session.scalar(sa.select(Order))
    [payment] = order.payments
    session = stripe_fake.sessions[payment.reference]
    assert response.status_code == 303
    assert response.headers["Location"] == session["url"]
    assert session["url"].startswith(stripe_fake.url + "/c/pay/cs_test_")

    [created] = stripe_fake.created()
    [item] = created.params["line_items"]
    assert item["price_data"]["unit_amount"] == str(order.total)
    assert item["price_data"]["currency"] == "cad" and item["quantity"] == "1"
    assert created.params["metadata"]["order_id"] == str(order.id)
    assert created.headers["Idempotency-Key"].startswith(f"order-{order.id}-")
    assert created.headers["Authorization"] == "Bearer sk_test_fake"
    assert abs(int(created.params["expires_at"]) - order.expires_at.timestamp()) < 1
    assert session["amount_total"] == order.total and order.total > 2 * 34900
    assert order.status == "pending_payment" and payment.status == "pending"
    assert stock_for(tent.id).allocated == 2

    # Coming back from Stripe's page proves nothing: only a signed event pays.
    page = client.get(created.params["success_url"]).get_data(as_text=True)
    assert "waiting for payment" in page and "waiting for the payment provider" in page
    db.session.refresh(order)
    assert order.status == "pending_payment" and confirmations() == 0
    assert client.get(f"/checkout/pay/{order.number}").headers["Location"] == session["url"]

    response = deliver(client, stripe_fake.pay(payment.reference))
    assert response.status_code == 200 and response.json == {"outcome": "order paid"}
    db.session.refresh(order)
    assert order.status == "paid" and order.paid_at is not None
    assert order.payments[0].status == "succeeded"
    assert event_kinds(order).count("paid") == 1
    mail = db.session.scalar(sa.select(OutboxMessage).filter_by(kind="order_confirmation"))
    assert mail.to_address == "guest@example.com" and order.number in mail.subject
    assert stock_for(tent.id).allocated == 2
    page = client.get(created.params["success_url"]).get_data(as_text=True)
    assert f"Order {order.number} is confirmed" in page


def test_the_same_event_delivered_twice_is_applied_once(client, order, stripe_fake):
    event = stripe_fake.pay(session_id(order))
    assert deliver(client, event).json == {"outcome": "order paid"}
    response = deliver(client, event)
    assert response.status_code == 200 and response.json == {"outcome": "duplicate"}
    assert count(PaymentEvent) == 1
    assert event_kinds(order).count("paid") == 1
    assert confirmations() == 1


def tampered(client, event):
    other = json.dumps({**event, "id": "evt_other"}).encode()
    body = json.dumps(event).encode()
    headers = {"Stripe-Signature": sign(other, SECRET), "Content-Type": "application/json"}
    return client.post("/webhooks/stripe", data=body, headers=headers)


def changed_after_signing(client, event):
    body = json.dumps(event).encode()
    signature = sign(body, SECRET)
    body = body.replace(b'"payment_status": "paid"', b'"payment_status": "paid" ')
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    return client.post("/webhooks/stripe", data=body, headers=headers)


def stale(client, event):
    return deliver(client, event, timestamp=int(time.time()) - 301)


def from_the_future(client, event):
    # Stripe's library checks only that a signature is not too old.
    return deliver(client, event, timestamp=int(time.time()) + 24 * 60 * 60)


def just_past_the_tolerance_ahead(client, event):
    return deliver(client, event, timestamp=int(time.time()) + 320)


def unsigned(client, event):
    return client.post("/webhooks/stripe", json=event)


def wrong_secret(client, event):
    return deliver(client, event, secret="whsec_someone_else")


@pytest.mark.parametrize(
    "send",
    [
        tampered,
        changed_after_signing,
        stale,
        from_the_future,
        just_past_the_tolerance_ahead,
        unsigned,
        wrong_secret,
    ],
    ids=lambda f: f.__name__,
)
def test_a_badly_signed_event_is_refused_and_changes_nothing(client, order, stripe_fake, send):
    event = stripe_fake.pay(session_id(order))
    response = send(client, event)
    assert response.status_code == 400 and response.json == {"error": "invalid signature"}
    db.session.refresh(order)
    assert order.status == "pending_payment" and order.payments[0].status == "pending"
    assert count(PaymentEvent) == 0 and confirmations() == 0
    assert "paid" not in event_kinds(order)
    # Stripe retries; the genuine delivery of the same event is still applied.
    assert deliver(client, event).json == {"outcome": "order paid"}


@pytest.mark.parametrize("seconds", [-280, 60], ids=["behind", "clock_ahead"])
def test_a_recent_signature_within_the_tolerance_is_accepted(client, order, stripe_fake, seconds):
    event = stripe_fake.pay(session_id(order))
    assert deliver(client, event, timestamp=int(time.time()) + seconds).status_code == 200
    db.session.refresh(order)
    assert order.status == "paid"


@pytest.mark.parametrize("change", ["amount", "currency"])
def test_an_amount_or_currency_that_does_not_match_is_rejected(
    client, order, tent, stripe_fake, caplog, change
):
    wrong = {"amount": {"amount_total": order.total - 100}, "currency": {"currency": "usd"}}
    caplog.set_level(logging.ERROR)
    response = deliver(client, stripe_fake.pay(session_id(order), **wrong[change]))
    assert response.status_code == 200 and response.json["outcome"].startswith("rejected:")
    db.session.refresh(order)
    assert order.status == "pending_payment" and order.paid_at is None
    assert order.payments[0].status == "pending"
    assert event_kinds(order).count("payment_rejected") == 1 and "paid" not in event_kinds(order)
    assert confirmations() == 0 and stock_for(tent.id).allocated == 2
    [record] = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert record.levelno == logging.ERROR and "does not match" in record.getMessage()


def test_a_declined_card_fails_the_order_and_a_later_success_pays_it(
    client, order, tent, stripe_fake
):
    event = stripe_fake.decline_card(session_id(order), "Your card has insufficient funds.")
    assert event["data"]["object"]["metadata"] == {"order_id": str(order.id)}
    assert deliver(client, event).json == {"outcome": "order payment failed"}
    db.session.refresh(order)
    assert order.status == "payment_failed"
    assert stock_for(tent.id).allocated == 0
    [failed] = [e for e in order.events if e.kind == "payment_failed"]
    assert "Your card has insufficient funds." in event_text(failed)
    # The customer tries another card on the same Stripe page: the stock is claimed again.
    assert client.get(f"/checkout/pay/{order.number}").status_code == 303
    assert deliver(client, stripe_fake.pay(session_id(order))).json == {"outcome": "order paid"}
    db.session.refresh(order)
    assert order.status == "paid" and stock_for(tent.id).allocated == 2


def test_an_expired_session_expires_the_order_and_releases_its_stock(
    client, order, tent, stripe_fake
):
    assert deliver(client, stripe_fake.expire(session_id(order))).json == {
        "outcome": "order expired"
    }
    db.session.refresh(order)
    assert order.status == "expired" and order.payments[0].status == "expired"
    assert stock_for(tent.id).allocated == 0
    assert {"expired", "released"} <= set(event_kinds(order))


def test_a_failed_delayed_payment_fails_the_order(client, order, tent, stripe_fake):
    response = deliver(client, stripe_fake.async_payment_failed(session_id(order)))
    assert response.json == {"outcome": "order payment failed"}
    db.session.refresh(order)
    assert order.status == "payment_failed" and order.payments[0].status == "failed"
    assert stock_for(tent.id).allocated == 0
    # "Pay now" opens a new Checkout Session: the old one is closed.
    response = client.get(f"/checkout/pay/{order.number}")
    assert response.status_code == 303
    db.session.refresh(order)
    assert len(order.payments) == 2 and len(stripe_fake.sessions) == 2
    assert response.headers["Location"] == stripe_fake.sessions[order.payments[-1].reference]["url"]


def test_a_session_completed_unpaid_waits_for_the_delayed_payment(client, order, tent, stripe_fake):
    response = deliver(client, stripe_fake.pay(session_id(order), payment_status="unpaid"))
    assert response.json == {"outcome": "ignored"}
    db.session.refresh(order)
    assert order.status == "pending_payment" and confirmations() == 0
    response = deliver(client, stripe_fake.async_payment_succeeded(session_id(order)))
    assert response.json == {"outcome": "order paid"}
    db.session.refresh(order)
    assert order.status == "paid" and confirmations() == 1
    assert stock_for(tent.id).allocated == 2


def test_an_event_for_another_kind_of_object_is_acknowledged_and_ignored(
    client, order, stripe_fake
):
    event = stripe_fake.event("customer.created", {"id": "cus_1", "object": "customer"})
    assert deliver(client, event).json == {"outcome": "no matching order"}
    db.session.refresh(order)
    assert order.status == "pending_payment"


def test_the_same_payment_attempt_replays_and_other_parameters_are_refused(
    app, order, stripe_fake, caplog
):
    urls = {"success_url": "http://shop.test/done", "cancel_url": "http://shop.test/back"}
    first = stripe_gateway.start_payment(order, **urls).reference
    db.session.rollback()  # as if the request died after Stripe answered
    again = stripe_gateway.start_payment(order, **urls).reference
    assert again == first
    key = stripe_fake.created()[-1].headers["Idempotency-Key"]
    assert stripe_fake.replayed_keys == [key] and key.endswith("-checkout-2")
    assert len(stripe_fake.sessions) == 2  # the order's own session, and this one
    db.session.rollback()
    caplog.set_level(logging.ERROR)
    with pytest.raises(stripe_gateway.StripeUnavailable):
        stripe_gateway.start_payment(order, **{**urls, "success_url": "http://shop.test/other"})
    assert "Keys for idempotent requests can only be used with the same parameters" in caplog.text
    assert len(stripe_fake.sessions) == 2


def test_unreachable_stripe_keeps_the_order_reserved_and_pay_now_tries_again(
    app, client, tent, stripe_fake
):
    url, refusing = closed_port_url()
    app.config["STRIPE_API_BASE"] = url
    try:
        response = check_out(client, tent)
    finally:
        refusing.close()
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We could not reach our payment provider" in page
    order = db.session.scalar(sa.select(Order))
    assert f"Your order {order.number} is saved" in page and "Pay now" in page
    # Until when, as every page writes a moment, ending the sentence with one full stop.
    moment = r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[ap]\.m\."
    assert re.search(rf"its items are reserved until {moment}</div>", page)
    assert order.status == "pending_payment" and order.payments == []
    assert stock_for(tent.id).allocated == 2  # the items stay reserved
    assert stripe_fake.requests == []

    app.config["STRIPE_API_BASE"] = stripe_fake.url  # Stripe is back
    response = client.get(f"/checkout/pay/{order.number}")
    assert response.status_code == 303
    assert response.headers["Location"] == stripe_fake.sessions[session_id(order)]["url"]


def test_a_lost_answer_from_stripe_is_replayed_by_its_idempotency_key(client, tent, stripe_fake):
    stripe_fake.lose_next_response = True  # Stripe creates the session; the answer never comes
    response = check_out(client, tent)
    assert response.status_code == 302
    order = db.session.scalar(sa.select(Order))
    assert order.payments == [] and len(stripe_fake.sessions) == 1
    response = client.get(f"/checkout/pay/{order.number}")  # the customer clicks "Pay now"
    assert response.status_code == 303
    [created] = stripe_fake.sessions.values()
    assert response.headers["Location"] == created["url"]
    assert len(stripe_fake.sessions) == 1 and len(stripe_fake.replayed_keys) == 1
    assert stock_for(tent.id).allocated == 2


# --- the processor's fee, reported by Stripe when the charge settles -------------------


def fee_entries(order) -> list[JournalEntry]:
    query = sa.select(JournalEntry).where(
        JournalEntry.source_type == "payment_fee", JournalEntry.order_id == order.id
    )
    return list(db.session.scalars(query))


def asked(stripe_fake, prefix: str) -> list[str]:
    return [r.path for r in stripe_fake.requests if r.path.startswith(prefix)]


@pytest.fixture
def paid(client, order, stripe_fake):
    """The order paid on Stripe's page; Stripe has not settled the charge yet."""
    assert deliver(client, stripe_fake.pay(session_id(order))).json == {"outcome": "order paid"}
    return order


@pytest.mark.parametrize("order_id_on", ["payment_intent", "charge"])
def test_stripe_reports_its_fee_and_it_is_posted_once(client, paid, stripe_fake, order_id_on):
    if order_id_on == "charge":
        stripe_fake.charge_of(session_id(paid))["metadata"] = {"order_id": str(paid.id)}
    event = stripe_fake.settle(session_id(paid))
    txn_id = event["data"]["object"]["balance_transaction"]
    fee = stripe_fake.balance_transactions[txn_id]["fee"]
    assert fee == round(paid.total * 0.029) + 30

    assert deliver(client, event).json == {"outcome": "fee posted"}
    [entry] = fee_entries(paid)
    assert entry.source_key == f"fee:stripe:{txn_id}"
    lines = {(line.account.role, line.debit, line.credit) for line in entry.lines}
    assert lines == {(chart.PAYMENT_FEES, fee, 0), (chart.CLEARING, 0, fee)}
    assert asked(stripe_fake, "/v1/balance_transactions/") == [f"/v1/balance_transactions/{txn_id}"]
    # The order is found through its PaymentIntent unless the charge names it itself.
    intents = asked(stripe_fake, "/v1/payment_intents/")
    assert len(intents) == (1 if order_id_on == "payment_intent" else 0)

    # Stripe delivers the same event again, then another change to the same charge.
    assert deliver(client, event).json == {"outcome": "duplicate"}
    again = stripe_fake.update_charge(session_id(paid), description="Order")
    assert deliver(client, again).json == {"outcome": "ignored: fee already posted"}
    assert len(fee_entries(paid)) == 1
    assert count(PaymentEvent, PaymentEvent.event_type == "charge.updated") == 2
    assert len(asked(stripe_fake, "/v1/balance_transactions/")) == 1


def test_a_charge_update_without_a_balance_transaction_posts_nothing(client, paid, stripe_fake):
    event = stripe_fake.update_charge(session_id(paid), description="Order")
    assert event["data"]["object"]["balance_transaction"] is None
    assert deliver(client, event).json == {"outcome": "ignored: no balance transaction yet"}
    assert fee_entries(paid) == []
    assert asked(stripe_fake, "/v1/") == ["/v1/checkout/sessions"]  # Stripe was not asked


def test_a_fee_stripe_cannot_tell_is_retried_later(app, client, paid, stripe_fake):
    event = stripe_fake.settle(session_id(paid))
    response = deliver_while_stripe_is_down(app, client, event)
    assert response.status_code == 503  # not acknowledged: Stripe delivers it again
    assert fee_entries(paid) == []
    assert count(PaymentEvent, PaymentEvent.event_type == "charge.updated") == 0
    app.config["STRIPE_API_BASE"] = stripe_fake.url
    assert deliver(client, event).json == {"outcome": "fee posted"}
    assert len(fee_entries(paid)) == 1


def test_a_fee_in_another_currency_is_refused_and_logged(client, paid, stripe_fake, caplog):
    caplog.set_level(logging.ERROR)
    event = stripe_fake.settle(session_id(paid), currency="usd")
    outcome = deliver(client, event).json["outcome"]
    assert outcome.startswith("rejected:") and "USD" in outcome
    assert fee_entries(paid) == []
    assert "post it by hand" in caplog.text


def test_a_charge_of_no_order_of_ours_posts_nothing(client, stripe_fake):
    charge = {"id": "ch_other", "object": "charge", "balance_transaction": "txn_other",
              "metadata": {}, "payment_intent": None}  # fmt: skip
    response = deliver(client, stripe_fake.event("charge.updated", charge))
    assert response.json == {"outcome": "no matching order"}
    assert count(JournalEntry) == 0


# --- a late success for what was sold meanwhile: refunded, never oversold ---------------


@pytest.fixture
def last_lanterns(app):
    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Storm Lantern", backorderable=False), sku="LANTERN-1",
        price=4900, tax_class=classes["standard"], stock=10,
    )  # fmt: skip


def declined_then_sold_out(app, client, lanterns, stripe_fake):
    """A orders the 10 lanterns and is declined; B then buys the 10 and pays."""
    check_out(client, lanterns, 10)
    order = db.session.scalar(sa.select(Order))
    deliver(client, stripe_fake.decline_card(session_id(order)))
    other = app.test_client()
    check_out(other, lanterns, 10)
    b = db.session.scalar(sa.select(Order).where(Order.id != order.id))
    assert deliver(other, stripe_fake.pay(session_id(b))).json == {"outcome": "order paid"}
    db.session.refresh(order)
    assert order.status == "payment_failed" and stock_for(lanterns.id).allocated == 10
    return order


def test_a_late_success_for_items_sold_meanwhile_is_refunded_and_the_customer_told(
    app, client, last_lanterns, stripe_fake
):
    order = declined_then_sold_out(app, client, last_lanterns, stripe_fake)
    # A tries another card on the same Stripe page, which takes the money.
    event = stripe_fake.pay(session_id(order))
    response = deliver(client, event)
    assert response.status_code == 200
    assert response.json == {"outcome": "refunded: the items can no longer be supplied"}

    intent = stripe_fake.session(session_id(order))["payment_intent"]
    [refund] = stripe_fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (intent, order.total)
    assert stripe_fake.charge_of(session_id(order))["refunded"] is True
    [asked] = [r for r in stripe_fake.requests if r.path == "/v1/refunds"]
    assert asked.headers["Idempotency-Key"] == f"refund-{intent}"

    db.session.refresh(order)
    assert order.status == "payment_failed" and order.paid_at is None
    assert order.payments[0].status == "refunded"
    stock = stock_for(last_lanterns.id)
    assert (stock.on_hand, stock.allocated) == (10, 10)  # 10 sold of 10, not 20
    assert [(ln.quantity_allocated, ln.quantity_backordered) for ln in order.lines] == [(0, 0)]
    assert count(JournalEntry, JournalEntry.order_id == order.id) == 0  # no sale in the books
    [refunded] = [e for e in order.events if e.kind == "refunded"]
    assert refund["id"] in event_text(refunded) and "10 x Storm Lantern" in event_text(refunded)
    assert refunded.params["unavailable"] == [{"units": 10, "name": "Storm Lantern", "left": 0}]
    [mail] = db.session.scalars(sa.select(OutboxMessage).filter_by(kind="payment_refunded"))
    assert mail.to_address == "guest@example.com" and order.number in mail.subject
    assert "10 x Storm Lantern" in mail.body_text and "refunded" in mail.body_text
    assert confirmations() == 1  # B's only

    # Stripe delivers the same event again: nothing more is refunded or sent.
    assert deliver(client, event).json == {"outcome": "duplicate"}
    assert (
        len(stripe_fake.refunds) == 1
        and count(OutboxMessage, OutboxMessage.kind == "payment_refunded") == 1
    )


def test_a_refund_stripe_cannot_make_now_is_retried_with_the_same_key(
    app, client, last_lanterns, stripe_fake
):
    order = declined_then_sold_out(app, client, last_lanterns, stripe_fake)
    event = stripe_fake.pay(session_id(order))
    response = deliver_while_stripe_is_down(app, client, event)
    assert response.status_code == 503  # not acknowledged: Stripe delivers it again
    assert stripe_fake.refunds == {}
    assert count(PaymentEvent, PaymentEvent.order_id == order.id) == 1  # the decline only
    app.config["STRIPE_API_BASE"] = stripe_fake.url
    assert deliver(client, event).json == {
        "outcome": "refunded: the items can no longer be supplied"
    }
    assert len(stripe_fake.refunds) == 1
    assert stock_for(last_lanterns.id).allocated == 10
