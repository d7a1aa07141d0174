"""Refunds through Stripe: the real stripe library against the local fake, the Refund
API with its idempotency key, and Stripe's refund events signed as Stripe signs them."""

import json
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from shop.db import utcnow
from shop.extensions import db
from shop.order_history import event_text
from shop.orders.models import Order, PaymentEvent
from shop.payments import stripe_gateway
from shop.payments.services import REFUND
from shop.refunds import services as refunds
from shop.refunds import status as refund_status
from shop.refunds.models import Refund
from tests.factories import ProductFactory, VariantFactory
from tests.factories.store import ridge_tent
from tests.fakes.stripe_server import closed_port_url, sign
from tests.integration.checkout_helpers import seed_reference_data
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
    return ridge_tent(seed_reference_data())


@pytest.fixture
def order(client, tent):
    """A guest's order of two tents, placed and sent to the fake's payment page."""
    assert check_out(client, tent).status_code == 303
    return db.session.scalar(sa.select(Order))


@pytest.fixture
def paid(client, order, stripe_fake):
    """The order paid on Stripe's page."""
    assert deliver(client, stripe_fake.pay(session_id(order))).json == {"outcome": "order paid"}
    return order


def intent_of(stripe_fake, order) -> str:
    return stripe_fake.session(session_id(order))["payment_intent"]


def make_refund(order, amount: int) -> Refund:
    """A goodwill refund of ours decided and committed; Stripe not asked yet."""
    refund = refunds.refund_amount(order=order, amount=amount, reason=refund_status.GOODWILL)
    db.session.commit()
    return refund


def refund_requests(stripe_fake):
    return [r for r in stripe_fake.requests if r.path == "/v1/refunds" and r.method == "POST"]


# --- the PaymentIntent a refund is made against -----------------------------------------


def test_a_paid_stripe_payment_keeps_its_payment_intent(client, paid, stripe_fake):
    db.session.refresh(paid)
    assert paid.payments[0].charge_reference == intent_of(stripe_fake, paid)
    assert paid.payments[0].charge_reference.startswith("pi_")


def test_a_delayed_payment_keeps_its_payment_intent_when_it_succeeds(client, order, stripe_fake):
    deliver(client, stripe_fake.pay(session_id(order), payment_status="unpaid"))
    db.session.refresh(order)
    response = deliver(client, stripe_fake.async_payment_succeeded(session_id(order)))
    assert response.json == {"outcome": "order paid"}
    db.session.refresh(order)
    assert order.payments[0].charge_reference == intent_of(stripe_fake, order)


# --- the Refund API -----------------------------------------------------------------------


def test_a_refund_is_made_for_its_amount_with_our_ids_and_a_stable_key(app, paid, stripe_fake):
    refund = make_refund(paid, 5000)
    reference, status = stripe_gateway.refund_payment(refund)
    assert status == "succeeded" and reference.startswith("re_")
    made = stripe_fake.refunds[reference]
    assert made["amount"] == 5000 and made["payment_intent"] == intent_of(stripe_fake, paid)
    assert made["metadata"] == {"refund_id": str(refund.id), "order_id": str(paid.id)}
    assert stripe_fake.charge_of(session_id(paid))["amount_refunded"] == 5000

    # A retry (the answer was lost, the job runs again) gets the same refund back.
    again, _ = stripe_gateway.refund_payment(refund)
    assert again == reference and len(stripe_fake.refunds) == 1
    first, second = refund_requests(stripe_fake)
    key = first.headers["Idempotency-Key"]
    assert key == second.headers["Idempotency-Key"] and stripe_fake.replayed_keys == [key]
    assert key.startswith(f"refund-{refund.id}-") and len(key) > len(f"refund-{refund.id}-") + 8

    # Another refund of the same order is another key, and another refund at Stripe.
    other = make_refund(paid, 1000)
    assert stripe_gateway.refund_payment(other)[0] != reference
    assert refund_requests(stripe_fake)[-1].headers["Idempotency-Key"] != key
    assert stripe_fake.charge_of(session_id(paid))["amount_refunded"] == 6000


def test_the_key_is_not_the_id_alone(app, paid):
    """A reset database gives a refund the same id again; its key differs."""
    refund = make_refund(paid, 100)
    key = stripe_gateway.refund_idempotency_key(refund)
    other = make_refund(paid, 100)
    assert stripe_gateway.refund_idempotency_key(other) != key
    after_a_reset = SimpleNamespace(id=refund.id, idempotency_token=other.idempotency_token)
    assert stripe_gateway.refund_idempotency_key(after_a_reset) != key
    assert stripe_gateway.refund_idempotency_key(refund) == key  # the same on every retry


def test_a_pending_refund_is_reported_pending(app, paid, stripe_fake):
    stripe_fake.next_refund_status = "pending"
    reference, status = stripe_gateway.refund_payment(make_refund(paid, 5000))
    assert status == "pending" and stripe_fake.refunds[reference]["status"] == "pending"


def test_a_payment_paid_before_its_intent_was_kept_is_refunded_through_its_session(
    app, paid, stripe_fake
):
    paid.payments[0].charge_reference = None
    refund = make_refund(paid, 700)
    reference, _ = stripe_gateway.refund_payment(refund)
    assert stripe_fake.refunds[reference]["payment_intent"] == intent_of(stripe_fake, paid)
    assert refund.payment.charge_reference == intent_of(stripe_fake, paid)


def test_stripe_down_is_unavailable_and_nothing_is_refunded(app, paid, stripe_fake):
    refund = make_refund(paid, 5000)
    url, refusing = closed_port_url()
    app.config["STRIPE_API_BASE"] = url
    try:
        with pytest.raises(stripe_gateway.StripeUnavailable) as raised:
            stripe_gateway.refund_payment(refund)
    finally:
        refusing.close()
    assert not isinstance(raised.value, stripe_gateway.StripeRefusedRefund)
    assert "will be tried again" in raised.value.message
    assert stripe_fake.refunds == {}


def test_a_stripe_server_error_is_unavailable_and_the_retry_makes_the_refund(
    app, paid, stripe_fake
):
    refund = make_refund(paid, 5000)
    stripe_fake.refuse_next_refunds(kind="server")
    with pytest.raises(stripe_gateway.StripeUnavailable) as raised:
        stripe_gateway.refund_payment(refund)
    assert not getattr(raised.value, "permanent", False)
    assert stripe_fake.refunds == {}
    reference, status = stripe_gateway.refund_payment(refund)  # same key: not stored on a 500
    assert status == "succeeded" and list(stripe_fake.refunds) == [reference]


def test_more_than_is_left_on_the_charge_is_refused_with_a_clear_message(app, paid, stripe_fake):
    stripe_fake.dashboard_refund(session_id(paid), paid.total - 1000)  # someone refunded most
    with pytest.raises(stripe_gateway.StripeRefusedRefund) as raised:
        stripe_gateway.refund_payment(make_refund(paid, 5000))
    assert raised.value.permanent
    assert "more than is left to refund" in raised.value.message
    assert len(stripe_fake.refunds) == 1


def test_a_refund_stripe_declines_is_refused_for_good(app, paid, stripe_fake):
    stripe_fake.refuse_next_refunds(kind="declined")
    with pytest.raises(stripe_gateway.StripeRefusedRefund) as raised:
        stripe_gateway.refund_payment(make_refund(paid, 5000))
    assert raised.value.message == "Stripe refused the refund: The refund could not be processed."


# --- reading Stripe's refund events ---------------------------------------------------------


def parsed(event: dict):
    body = json.dumps(event).encode()
    return stripe_gateway.refund_event_data(stripe_gateway.parse_webhook(body, sign(body, SECRET)))


def test_refund_events_are_read_as_the_refunds_they_report(app, paid, stripe_fake):
    refund = make_refund(paid, 5000)
    reference, _ = stripe_gateway.refund_payment(refund)
    created, charge_refunded = stripe_fake.refund_events(reference)
    intent = intent_of(stripe_fake, paid)

    data = parsed(created)
    assert (data.outcome, data.event_type, data.event_id) == (
        REFUND,
        "refund.created",
        created["id"],
    )
    assert data.charge_reference == intent and data.order_id == paid.id
    [report] = data.refunds
    assert (report.reference, report.amount, report.currency) == (reference, 5000, "CAD")
    assert (report.status, report.refund_id) == ("succeeded", refund.id)

    # Someone refunds the rest in the dashboard: no metadata of ours.
    dashboard = stripe_fake.dashboard_refund(session_id(paid))
    data = parsed(dashboard[1])
    assert data.event_type == "charge.refunded" and data.charge_reference == intent
    assert [(r.amount, r.refund_id) for r in data.refunds] == [
        (paid.total - 5000, None),
        (5000, refund.id),
    ]
    assert parsed(charge_refunded).refunds[0].reference in {r.reference for r in data.refunds}


def test_a_charge_refunded_without_its_refunds_asks_stripe_for_them(app, paid, stripe_fake):
    [_, charge_refunded] = stripe_fake.dashboard_refund(session_id(paid), 2000)
    del charge_refunded["data"]["object"]["refunds"]  # newer API versions leave them out
    data = parsed(charge_refunded)
    assert [(r.amount, r.status) for r in data.refunds] == [(2000, "succeeded")]
    charge_id = charge_refunded["data"]["object"]["id"]
    assert any(
        r.path == "/v1/refunds" and r.method == "GET" and r.params == {"charge": charge_id}
        for r in stripe_fake.requests
    )


def test_a_pending_refund_that_fails_is_read_with_its_reason(app, paid, stripe_fake):
    stripe_fake.next_refund_status = "pending"
    reference, _ = stripe_gateway.refund_payment(make_refund(paid, 5000))
    event = stripe_fake.update_refund(reference, "failed", "lost_or_stolen_card")
    [report] = parsed(event).refunds
    assert (report.status, report.failure_reason) == ("failed", "lost_or_stolen_card")
    assert stripe_fake.charge_of(session_id(paid))["amount_refunded"] == 0
    assert stripe_fake.refund(reference)["status"] == "failed"


# --- forged and replayed refund events ------------------------------------------------------


def forged(client, event):
    return deliver(client, event, secret="whsec_someone_else")


def replayed_old(client, event):
    return deliver(client, event, timestamp=int(time.time()) - 3600)


def changed_amount(client, event):
    body = json.dumps(event).encode()
    signature = sign(body, SECRET)
    body = body.replace(b'"amount": 2000', b'"amount": 99999')
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    return client.post("/webhooks/stripe", data=body, headers=headers)


@pytest.mark.parametrize("send", [forged, replayed_old, changed_amount], ids=lambda f: f.__name__)
@pytest.mark.parametrize("which", [0, 1], ids=["refund.created", "charge.refunded"])
def test_a_forged_or_replayed_refund_event_is_refused(client, paid, stripe_fake, send, which):
    event = stripe_fake.dashboard_refund(session_id(paid), 2000)[which]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent))
    response = send(client, event)
    assert response.status_code == 400 and response.json == {"error": "invalid signature"}
    after = db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent))
    assert after == before
    assert db.session.scalars(sa.select(Refund)).all() == []


# --- Stripe's refund events applied to the store's refunds ----------------------------------


def refund_kinds(order) -> list[str]:
    db.session.expire_all()
    return [
        e.kind for e in order.events if e.kind.startswith("refund_") and e.kind != "refund_decided"
    ]


def sent(refund: Refund) -> Refund:
    """Our call to Stripe made and its answer recorded, as the refund use case does."""
    reference, status = stripe_gateway.refund_payment(refund)
    refund.reference, refund.attempts = reference, refund.attempts + 1
    db.session.commit()
    return refund


def test_a_pending_refund_of_ours_succeeds_once_whatever_order_the_events_come_in(
    client, paid, stripe_fake
):
    stripe_fake.next_refund_status = "pending"
    refund = sent(make_refund(paid, 5000))
    created, charge_refunded = stripe_fake.refund_events(refund.reference)
    assert deliver(client, created).json == {"outcome": f"refund {refund.id}: still pending"}
    db.session.refresh(refund)
    assert refund.status == "pending"

    succeeded = stripe_fake.update_refund(refund.reference, "succeeded")
    assert deliver(client, succeeded).json == {"outcome": f"refund {refund.id}: refund succeeded"}
    db.session.refresh(refund)
    assert refund.status == "succeeded" and refund.succeeded_at is not None
    assert refund_kinds(paid) == ["refund_succeeded"]
    [event] = [e for e in paid.events if e.kind == "refund_succeeded"]
    assert refund.reference in event_text(event) and "$50.00" in event_text(event)

    # charge.refunded, sent before, arrives after; the same event twice; an old "pending".
    assert deliver(client, charge_refunded).json == {
        "outcome": f"refund {refund.id}: ignored: refund already succeeded"
    }
    assert deliver(client, succeeded).json == {"outcome": "duplicate"}
    assert deliver(client, created).json == {"outcome": "duplicate"}
    db.session.refresh(refund)
    assert refund.status == "succeeded" and refund_kinds(paid) == ["refund_succeeded"]
    assert db.session.scalars(sa.select(Refund)).all() == [refund]  # no refund of the dashboard's


def test_our_refunds_webhook_before_our_calls_answer_was_recorded(client, paid, stripe_fake):
    from shop.refunds import retry

    refund = make_refund(paid, 5000)
    reference, _ = stripe_gateway.refund_payment(refund)  # the answer is not recorded yet
    db.session.rollback()
    created, charge_refunded = stripe_fake.refund_events(reference)
    assert deliver(client, created).json == {"outcome": f"refund {refund.id}: refund succeeded"}
    assert deliver(client, charge_refunded).json == {
        "outcome": f"refund {refund.id}: ignored: refund already succeeded"
    }
    db.session.refresh(refund)
    assert (refund.reference, refund.status) == (reference, "succeeded")

    # Now the answer is recorded (or the call is made again): the same refund, nothing new.
    assert retry.ask_provider(refund) == "succeeded"
    db.session.commit()
    assert len(stripe_fake.refunds) == 1 and refund.reference == reference
    assert refund_kinds(paid) == ["refund_succeeded"]


def test_a_refund_that_fails_at_stripe_is_failed_and_shown_to_staff(
    app, client, paid, stripe_fake, bookkeeper, staff
):
    stripe_fake.next_refund_status = "pending"
    refund = sent(make_refund(paid, 5000))
    event = stripe_fake.update_refund(refund.reference, "failed", "expired_or_canceled_card")
    assert deliver(client, event).json == {"outcome": f"refund {refund.id}: refund failed"}
    db.session.refresh(refund)
    assert refund.status == "failed" and refund.last_error == "expired_or_canceled_card"
    assert refund_kinds(paid) == ["refund_failed"]
    # Stripe's refund.failed for the same refund changes nothing more.
    response = deliver(client, stripe_fake.refund_failed(refund.reference))
    assert response.json == {"outcome": f"refund {refund.id}: ignored: refund already failed"}
    assert refund_kinds(paid) == ["refund_failed"]

    page = bookkeeper.get("/admin/refunds").get_data(as_text=True)
    assert "Refunds to see to" in page and paid.number in page
    assert "expired_or_canceled_card" in page and "$50.00" in page and "Failed" in page
    assert f'action="/admin/refunds/{refund.id}/retry"' in page
    order_page = bookkeeper.get(f"/admin/orders/{paid.number}").get_data(as_text=True)
    assert "Refunds" in order_page and "expired_or_canceled_card" in order_page
    assert refund.credit_note.number in order_page


def test_a_refund_event_for_an_order_paid_another_way_is_refused_and_written(
    client, paid, stripe_fake
):
    refund = sent(make_refund(paid, 5000))
    [created, _] = stripe_fake.refund_events(refund.reference)
    paid.payments[0].provider, paid.payments[0].charge_reference = "demo", None
    refund.provider = "demo"
    db.session.commit()
    outcome = deliver(client, created).json["outcome"]
    assert outcome == "rejected: the order was not paid through Stripe"
    assert refund_kinds(paid) == ["refund_rejected"]
    db.session.refresh(refund)
    assert refund.status == "pending"


def test_an_unsupplied_payments_refund_events_are_not_a_new_refund(client, stripe_fake):
    """The REFUND_DUE path refunds by itself; its charge.refunded must not refund again."""
    from tests.integration.test_stripe_checkout import check_out as place_order

    tent_ = VariantFactory(
        product=ProductFactory(name="Lantern", backorderable=False), sku="L-1", price=4900,
        tax_class=seed_reference_data()["standard"], stock=1,
    )  # fmt: skip
    place_order(client, tent_, 1)
    order_ = db.session.scalar(sa.select(Order))
    deliver(client, stripe_fake.expire(session_id(order_)))  # its stock goes back...
    other = client.application.test_client()
    place_order(other, tent_, 1)
    b = db.session.scalar(sa.select(Order).where(Order.id != order_.id))
    deliver(other, stripe_fake.pay(session_id(b)))  # ...and is sold
    outcome = deliver(client, stripe_fake.pay(session_id(order_))).json["outcome"]
    assert outcome.startswith("refunded")
    [made] = stripe_fake.refunds
    for event in stripe_fake.refund_events(made):
        assert (
            deliver(client, event).json["outcome"].startswith("ignored: the payment was refunded")
        )
    assert db.session.scalars(sa.select(Refund)).all() == []


# --- retried until made ------------------------------------------------------------------------


def due_refund(order, amount: int) -> Refund:
    """A refund whose first call to Stripe failed, as the refund use case leaves it."""
    refund = make_refund(order, amount)
    refund.attempts, refund.last_error = 1, "Stripe could not be reached"
    refund.next_attempt_at = utcnow()
    db.session.commit()
    return refund


def test_a_refund_stripe_could_not_make_is_retried_with_backoff_and_the_same_key(
    app, paid, stripe_fake, clock
):
    from shop.refunds import retry

    refund = make_refund(paid, 5000)
    url, refusing = closed_port_url()
    app.config["STRIPE_API_BASE"] = url
    try:
        [outcome] = refunds.send_refunds([refund.id])  # after the decision's commit
    finally:
        refusing.close()
        app.config["STRIPE_API_BASE"] = stripe_fake.url
    assert outcome.startswith("will retry")
    db.session.refresh(refund)
    first = utcnow()
    assert refund.status == "pending" and refund.attempts == 1
    assert "will be tried again" in refund.last_error
    assert refund.next_attempt_at == first + timedelta(minutes=1)

    # Not due yet: Stripe is not asked.
    clock.shift(timedelta(seconds=59))
    assert retry.retry_due_refunds() == retry.RetryRun()
    assert refund_requests(stripe_fake) == []

    clock.shift(timedelta(seconds=1))
    stripe_fake.refuse_next_refunds(kind="server")
    assert retry.retry_due_refunds().postponed == [refund.id]
    db.session.refresh(refund)
    assert refund.attempts == 2 and refund.next_attempt_at == utcnow() + timedelta(minutes=2)
    assert "will be tried again" in refund.last_error

    clock.shift(timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["refunds", "retry"])  # cron: not due yet
    assert "refunded 0, processing 0, failed 0, postponed 0" in result.output
    clock.shift(timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["refunds", "retry"])
    assert "refunded 1, processing 0, failed 0, postponed 0" in result.output
    db.session.refresh(refund)
    assert refund.status == "succeeded" and refund.attempts == 3
    assert refund.next_attempt_at is None and len(stripe_fake.refunds) == 1
    keys = {r.headers["Idempotency-Key"] for r in refund_requests(stripe_fake)}
    assert keys == {stripe_gateway.refund_idempotency_key(refund)}
    assert len(refund_requests(stripe_fake)) == 2  # one refused with a 500, one made
    assert refund_kinds(paid) == ["refund_succeeded"]


def test_the_retry_command_reports_what_it_did(app, paid, stripe_fake):
    refund = due_refund(paid, 5000)
    refund.next_attempt_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["refunds", "retry"])
    assert result.exit_code == 0, result.output
    assert "refunded 1, processing 0, failed 0, postponed 0" in result.output
    db.session.refresh(refund)
    assert refund.status == "succeeded"


def test_a_refund_stripe_refuses_for_good_is_failed_not_retried(app, paid, stripe_fake):
    from shop.refunds import retry

    refund = due_refund(paid, 5000)
    stripe_fake.refuse_next_refunds(kind="declined")
    run = retry.retry_due_refunds(now=utcnow() + timedelta(seconds=1))
    assert run.failed == [refund.id]
    db.session.refresh(refund)
    assert refund.status == "failed" and refund.next_attempt_at is None
    assert refund.last_error == "Stripe refused the refund: The refund could not be processed."
    assert refund_kinds(paid) == ["refund_failed"]
    assert retry.retry_due_refunds(now=utcnow() + timedelta(days=1)).failed == []


def test_two_copies_of_the_retry_job_ask_stripe_once(app, paid, stripe_fake):
    from shop.refunds import retry
    from tests.integration.race_helpers import at_once

    refund = due_refund(paid, 5000)
    stripe_fake.refund_delay = 0.5  # the first copy holds the order while Stripe answers
    now = utcnow() + timedelta(seconds=1)
    runs = []

    def first():
        runs.append(retry.retry_due_refunds(now=now))

    def second():
        runs.append(retry.retry_due_refunds(now=now))

    outcome = at_once(app, first, second)
    assert outcome.failed == [] and sorted(outcome.done) == ["first", "second"]
    assert sorted(len(r.succeeded) for r in runs) == [0, 1]
    assert len(refund_requests(stripe_fake)) == 1 and len(stripe_fake.refunds) == 1
    db.session.refresh(refund)
    assert refund.status == "succeeded" and refund.attempts == 2


def test_staff_retry_a_pending_refund_now(app, paid, stripe_fake, bookkeeper):
    refund = due_refund(paid, 5000)
    refund.next_attempt_at = utcnow() + timedelta(hours=2)
    refund.created_at = utcnow() - timedelta(hours=3)  # waiting too long
    db.session.commit()
    page = bookkeeper.get("/admin/refunds").get_data(as_text=True)
    assert "Pending" in page and "Stripe could not be reached" in page and "Retry now" in page
    response = bookkeeper.post(f"/admin/refunds/{refund.id}/retry", data={})
    assert response.status_code == 302
    page = bookkeeper.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Refund {refund.id} of order {paid.number} was made." in page
    assert "No refund needs attention." in page
    db.session.refresh(refund)
    assert refund.status == "succeeded" and len(stripe_fake.refunds) == 1


def test_retry_now_sends_the_refund_clicked_and_no_other(app, paid, stripe_fake, bookkeeper):
    clicked, other = due_refund(paid, 5000), due_refund(paid, 3000)
    response = bookkeeper.post(f"/admin/refunds/{clicked.id}/retry", data={})
    assert response.status_code == 302
    db.session.refresh(clicked)
    db.session.refresh(other)
    assert clicked.status == "succeeded"
    assert other.status == "pending" and other.reference is None  # left to its schedule
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [5000]


def test_only_the_owner_and_the_bookkeeper_see_refunds(app, staff, paid):
    from shop.accounts import roles
    from tests.conftest import log_in

    refund = due_refund(paid, 5000)
    for role, allowed in ((roles.OWNER, True), (roles.BOOKKEEPER, True), (roles.SALES, False)):
        browser = app.test_client()
        log_in(browser, staff[role].email)
        assert (browser.get("/admin/refunds").status_code == 200) is allowed, role
        response = browser.post(f"/admin/refunds/{refund.id}/retry", data={})
        assert (response.status_code == 302) is allowed, role


# --- refunds made in Stripe's dashboard -----------------------------------------------------


def credit_notes_of(order) -> list:
    from shop.billing.models import CREDIT_NOTE, Invoice

    query = sa.select(Invoice).where(Invoice.kind == CREDIT_NOTE, Invoice.order_id == order.id)
    return list(db.session.scalars(query.order_by(Invoice.id)))


def refund_mails() -> list:
    from shop.notifications.models import OutboxMessage

    return list(db.session.scalars(sa.select(OutboxMessage).filter_by(kind="refund_issued")))


def test_a_part_refunded_in_the_dashboard_becomes_a_refund_with_its_credit_note(
    client, paid, stripe_fake
):
    created, charge_refunded = stripe_fake.dashboard_refund(session_id(paid), 10000)
    outcome = deliver(client, created).json["outcome"]
    [refund] = db.session.scalars(sa.select(Refund)).all()
    assert outcome == f"refund {refund.id} made in the dashboard: refund succeeded"
    assert (refund.amount, refund.reason, refund.status) == (10000, "provider", "succeeded")
    assert refund.reference == created["data"]["object"]["id"] and refund.provider == "stripe"
    assert refund.next_attempt_at is None and refund.attempts == 0
    assert "dashboard" in refund.note and refund.reference in refund.note
    [note] = credit_notes_of(paid)
    assert refund.credit_note_id == note.id and note.total == -10000
    [mail] = refund_mails()
    assert mail.to_address == paid.email and "$100.00" in mail.subject
    assert refunds.refundable_amount(paid) == paid.total - 10000

    # charge.refunded for the same refund, and the same event again: nothing more.
    assert deliver(client, charge_refunded).json == {
        "outcome": f"refund {refund.id}: ignored: refund already succeeded"
    }
    assert deliver(client, created).json == {"outcome": "duplicate"}
    assert len(db.session.scalars(sa.select(Refund)).all()) == 1
    assert len(credit_notes_of(paid)) == 1 and len(refund_mails()) == 1
    assert stripe_fake.charge_of(session_id(paid))["amount_refunded"] == 10000
    assert refund_requests(stripe_fake) == []  # the store never asked Stripe itself

    page_events = [event_text(e) for e in paid.events if e.kind == "refund_decided"]
    assert len(page_events) == 1 and "made in the payment provider" in page_events[0]


def test_everything_refunded_in_the_dashboard_gives_back_every_unit_and_the_shipping(
    client, paid, stripe_fake
):
    _, charge_refunded = stripe_fake.dashboard_refund(session_id(paid))  # all of it
    outcome = deliver(client, charge_refunded).json["outcome"]
    assert outcome.endswith("made in the dashboard: refund succeeded")
    [refund] = db.session.scalars(sa.select(Refund)).all()
    assert refund.amount == paid.total and refund.shipping_amount == paid.shipping_total
    assert [(ln.order_line_id, ln.quantity) for ln in refund.lines] == [
        (line.id, line.quantity) for line in paid.lines
    ]
    assert refunds.refundable_amount(paid) == 0


def test_a_pending_dashboard_refund_is_recorded_pending_and_settles_later(
    client, paid, stripe_fake
):
    created, _ = stripe_fake.dashboard_refund(session_id(paid), 3000, status="pending")
    assert deliver(client, created).json["outcome"].endswith("dashboard: still pending")
    [refund] = db.session.scalars(sa.select(Refund)).all()
    assert refund.status == "pending" and refund.next_attempt_at is None
    from shop.refunds import retry

    assert retry.retry_due_refunds(now=utcnow() + timedelta(days=1)) == retry.RetryRun()
    assert refund_requests(stripe_fake) == []  # never sent again from here

    event = stripe_fake.update_refund(refund.reference, "succeeded")
    assert deliver(client, event).json == {"outcome": f"refund {refund.id}: refund succeeded"}
    db.session.refresh(refund)
    assert refund.status == "succeeded"


def test_a_dashboard_refund_larger_than_what_is_left_is_refused_and_written(
    client, paid, stripe_fake
):
    ours = sent(make_refund(paid, paid.total - 5000))  # most of it went back already
    stripe_fake.charge_of(session_id(paid))["amount_refunded"] = 0  # Stripe thinks otherwise
    created, _ = stripe_fake.dashboard_refund(session_id(paid), 20000)
    outcome = deliver(client, created).json["outcome"]
    assert outcome.startswith("rejected: ") and "$200.00" in outcome
    assert "Only $50.00" in outcome and "Check it in Stripe" in outcome
    assert db.session.scalars(sa.select(Refund)).all() == [ours]
    assert len(credit_notes_of(paid)) == 1
    [event] = [e for e in paid.events if e.kind == "refund_rejected"]
    assert "$200.00" in event_text(event) and created["data"]["object"]["id"] in event_text(event)


def test_a_failed_dashboard_refund_records_nothing(client, paid, stripe_fake):
    created, _ = stripe_fake.dashboard_refund(session_id(paid), 3000, status="failed")
    assert deliver(client, created).json["outcome"].startswith("ignored: ")
    assert db.session.scalars(sa.select(Refund)).all() == []


def test_a_refund_sent_by_the_use_case_and_its_webhooks_are_applied_once(client, paid, stripe_fake):
    refund = make_refund(paid, 5000)
    [outcome] = refunds.send_refunds([refund.id])
    assert outcome == "refund succeeded"
    db.session.refresh(refund)
    assert refund.status == "succeeded" and refund.reference in stripe_fake.refunds
    for event in stripe_fake.refund_events(refund.reference):
        assert deliver(client, event).json["outcome"].endswith("refund already succeeded")
    assert len(db.session.scalars(sa.select(Refund)).all()) == 1
    assert refund_kinds(paid) == ["refund_succeeded"]


def test_staff_send_a_failed_refund_again_with_a_new_key(app, paid, stripe_fake, bookkeeper):
    refund = make_refund(paid, 5000)
    stripe_fake.refuse_next_refunds(kind="declined")
    refunds.send_refunds([refund.id])
    db.session.refresh(refund)
    assert refund.status == "failed" and "could not be processed" in refund.last_error
    old_key = stripe_gateway.refund_idempotency_key(refund)

    page = bookkeeper.get(f"/admin/orders/{paid.number}").get_data(as_text=True)
    assert "could not be processed" in page and "Retry now" in page
    response = bookkeeper.post(f"/admin/refunds/{refund.id}/retry", data={"back": "order"})
    assert response.headers["Location"].endswith(f"/admin/orders/{paid.number}")
    page = bookkeeper.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Refund {refund.id} of order {paid.number} was made." in page
    db.session.refresh(refund)
    assert refund.status == "succeeded" and len(stripe_fake.refunds) == 1
    new_key = refund_requests(stripe_fake)[-1].headers["Idempotency-Key"]
    assert new_key != old_key and new_key == stripe_gateway.refund_idempotency_key(refund)
    assert refund_kinds(paid) == ["refund_failed", "refund_retried", "refund_succeeded"]
    # Made: no button any more, and a second POST is refused with a message.
    response = bookkeeper.post(f"/admin/refunds/{refund.id}/retry", data={}, follow_redirects=True)
    assert "This refund was already made." in response.get_data(as_text=True)
    assert len(stripe_fake.refunds) == 1


def test_retry_now_without_the_form_token_is_refused(app, paid, stripe_fake, staff):
    from shop.accounts import roles
    from tests.conftest import log_in

    refund = due_refund(paid, 5000)
    browser = app.test_client()
    log_in(browser, staff[roles.BOOKKEEPER].email)
    assert browser.get("/admin/refunds").status_code == 200
    app.config["WTF_CSRF_ENABLED"] = True
    response = browser.post(f"/admin/refunds/{refund.id}/retry", data={})
    assert response.status_code == 400
    assert refund_requests(stripe_fake) == []
    db.session.refresh(refund)
    assert refund.status == "pending" and refund.attempts == 1


def test_our_refunds_webhook_overtaking_the_api_answer_waits_and_is_applied_once(
    app, paid, stripe_fake
):
    """Stripe sends refund.created while its answer to our call is still on the way: the
    webhook waits for the call to be recorded (the order's lock), then changes nothing."""
    from tests.integration.race_helpers import at_once

    refund_id = make_refund(paid, 5000).id
    stripe_fake.refund_answer_delay = 1.5
    outcomes = {}

    def send():
        outcomes["send"] = refunds.send_refunds([refund_id])

    def webhook():
        deadline = time.time() + 10
        while not stripe_fake.refunds and time.time() < deadline:
            time.sleep(0.02)
        [made] = stripe_fake.refunds
        [created, _] = stripe_fake.refund_events(made)
        outcomes["webhook"] = deliver(app.test_client(), created).json["outcome"]

    outcome = at_once(app, send, webhook, commit=False)
    assert outcome.failed == [] and sorted(outcome.done) == ["send", "webhook"], outcome
    db.session.expire_all()
    refund = db.session.get(Refund, refund_id)
    assert refund.status == "succeeded" and len(stripe_fake.refunds) == 1
    assert refund_kinds(paid) == ["refund_succeeded"]
    assert "succeeded" in outcomes["send"][0] and "succeeded" in outcomes["webhook"]


def test_a_lost_answer_is_retried_with_the_same_key_and_refunds_once(app, paid, stripe_fake, clock):
    from shop.refunds import retry

    refund = make_refund(paid, 5000)
    stripe_fake.lose_next_response = True  # Stripe makes the refund; its answer never comes
    [outcome] = refunds.send_refunds([refund.id])
    assert outcome.startswith("will retry") and len(stripe_fake.refunds) == 1
    db.session.refresh(refund)
    assert refund.status == "pending" and refund.reference is None
    clock.shift(timedelta(minutes=1))
    assert retry.retry_due_refunds().succeeded == [refund.id]
    db.session.refresh(refund)
    [made] = stripe_fake.refunds
    assert refund.reference == made and refund.status == "succeeded"
    assert len(stripe_fake.replayed_keys) == 1 and len(stripe_fake.refunds) == 1
    assert stripe_fake.charge_of(session_id(paid))["amount_refunded"] == 5000
