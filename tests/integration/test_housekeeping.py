"""Housekeeping purges: old rows go, recent and still-needed rows stay."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.cart.models import Cart, CartLine, CheckoutState
from shop.db import utcnow
from shop.extensions import db
from shop.housekeeping import purge
from shop.jobs import runs
from shop.jobs.models import JobRun
from shop.notifications.models import FAILED, PENDING, SENT, OutboxAttachment, OutboxMessage
from shop.orders.models import PaymentEvent
from tests import factories
from tests.conftest import log_in

OLD = timedelta(days=40)
RECENT = timedelta(days=10)


def _age(model, row_id: int, ago: timedelta, *columns: str) -> None:
    when = utcnow() - ago
    db.session.execute(
        sa.update(model).where(model.id == row_id).values({c: when for c in columns})
    )
    db.session.commit()


def _cart(variant, *, user=None, ago=OLD, line_ago=None, choice_ago=None) -> int:
    cart = Cart(user=user)
    cart.lines.append(CartLine(variant=variant, quantity=1))
    if choice_ago is not None:
        cart.checkout = CheckoutState(email="guest@example.com")
    db.session.add(cart)
    db.session.commit()
    _age(Cart, cart.id, ago, "created_at", "updated_at")
    _age(CartLine, cart.lines[0].id, line_ago or ago, "created_at")
    if choice_ago is not None:
        db.session.execute(
            sa.update(CheckoutState)
            .where(CheckoutState.cart_id == cart.id)
            .values(updated_at=utcnow() - choice_ago)
        )
        db.session.commit()
    return cart.id


def _carts() -> set[int]:
    return set(db.session.scalars(sa.select(Cart.id)))


@pytest.fixture
def variant(app):
    return factories.VariantFactory(stock=20)


def test_guest_carts_left_alone_go_and_the_others_stay(variant, customer):
    old_guest = _cart(variant, choice_ago=OLD)
    recent_guest = _cart(variant, ago=RECENT)
    old_customer = _cart(variant, user=customer)
    recent_line = _cart(variant, line_ago=RECENT)
    recent_choice = _cart(variant, choice_ago=RECENT)

    assert purge.purge_guest_carts(days=30) == 1

    assert _carts() == {recent_guest, old_customer, recent_line, recent_choice}
    assert db.session.get(Cart, old_guest) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartLine)) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckoutState)) == 1
    assert purge.purge_guest_carts(days=30) == 0  # twice: nothing more


def test_a_cart_changed_in_the_store_counts_as_touched(app, client, variant, clock):
    client.post("/cart/add", data={"variant_id": variant.id, "quantity": 1})
    (cart_id,) = _carts()
    clock.shift(timedelta(days=31))
    line_id = db.session.scalar(sa.select(CartLine.id))
    client.post(f"/cart/lines/{line_id}", data={"quantity": 2})
    assert purge.purge_guest_carts(days=30) == 0
    clock.shift(timedelta(days=31))
    assert purge.purge_guest_carts(days=30) == 1
    assert _carts() == set()
    assert db.session.get(Cart, cart_id) is None


def test_carts_go_in_batches(app, variant):
    app.config["HOUSEKEEPING_BATCH_SIZE"] = 2
    for _ in range(5):
        _cart(variant)
    assert purge.purge_guest_carts(days=30) == 5
    assert _carts() == set()


def _mail(status: str, *, sent_ago=None, created_ago=OLD) -> int:
    message = OutboxMessage(
        to_address="c@example.com", subject="Hello", kind="test", body_text="Hi", status=status
    )
    message.attachments.append(
        OutboxAttachment(filename="invoice.pdf", content_type="application/pdf", data=b"%PDF")
    )
    db.session.add(message)
    db.session.commit()
    _age(OutboxMessage, message.id, created_ago, "created_at", "next_attempt_at")
    if sent_ago is not None:
        _age(OutboxMessage, message.id, sent_ago, "sent_at")
    return message.id


def test_mail_sent_long_ago_goes_with_its_attachments(app):
    old_sent = _mail(SENT, sent_ago=OLD)
    recent_sent = _mail(SENT, sent_ago=RECENT)
    pending = _mail(PENDING)
    failed = _mail(FAILED)

    assert purge.purge_sent_mail(days=30) == (1, 1)

    kept = set(db.session.scalars(sa.select(OutboxMessage.id)))
    assert kept == {recent_sent, pending, failed}
    attachments = set(db.session.scalars(sa.select(OutboxAttachment.message_id)))
    assert attachments == kept
    assert old_sent not in kept


def _event(event_id: str, ago: timedelta) -> int:
    event = PaymentEvent(provider="stripe", event_id=event_id, event_type="x", outcome="paid")
    db.session.add(event)
    db.session.commit()
    _age(PaymentEvent, event.id, ago, "received_at")
    return event.id


def test_old_payment_events_go_and_recent_ones_still_dedupe(app):
    from shop.payments.services import already_applied

    _event("evt_old", OLD)
    _event("evt_recent", timedelta(days=3, hours=23))
    assert purge.purge_payment_events(days=30) == 1
    assert not already_applied("stripe", "evt_old")
    assert already_applied("stripe", "evt_recent")
    # Fewer days than Stripe's retries would forget events a retry may still bring.
    assert purge.purge_payment_events(days=4) == 0
    with pytest.raises(purge.PurgeError, match="at least 4"):
        purge.purge_payment_events(days=3)
    assert already_applied("stripe", "evt_recent")


def test_purge_all_uses_the_settings_and_says_what_it_did(app, variant):
    _cart(variant)
    _mail(SENT, sent_ago=OLD)
    _event("evt_old", OLD)
    old_run = runs.claim("orders.expire", "2026-01-01T00:00")
    db.session.get(JobRun, old_run).started_at = utcnow() - timedelta(days=15)
    db.session.commit()
    recent_run = runs.claim("orders.expire", "2026-01-01T00:01")
    assert purge.nightly_purge() == (
        "purged 1 guest cart, 1 sent email with 1 attachment, 1 payment provider event, 1 job run"
    )
    assert db.session.scalars(sa.select(JobRun.id)).all() == [recent_run]


def test_the_command(app, runner, variant):
    _cart(variant)
    _event("evt_old", OLD)
    result = runner.invoke(args=["housekeeping", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "purged 1 guest cart, 0 sent emails with 0 attachments, "
        "1 payment provider event, 0 job runs"
    )

    _event("evt_newer", timedelta(days=2))
    result = runner.invoke(args=["housekeeping", "purge", "--payment-event-days", "1"])
    assert result.exit_code != 0
    assert "at least 4" in result.output and "Nothing was purged" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 1


def test_a_logged_in_customers_cart_is_never_purged(client, customer, variant, clock):
    log_in(client, customer.email)
    client.post("/cart/add", data={"variant_id": variant.id, "quantity": 1})
    clock.shift(timedelta(days=365))
    assert purge.purge_guest_carts(days=30) == 0
    assert db.session.scalar(sa.select(Cart.user_id)) == customer.id
