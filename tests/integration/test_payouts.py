"""Payouts: the processor's money moves from clearing to the bank. Stripe's payout.paid
arrives through the real webhook (the real stripe library against the fake, signed as
Stripe signs); the demo provider pays out each day by `flask payouts demo`."""

from datetime import date

import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import JournalEntry
from shop.extensions import db
from shop.payments.models import Payout
from shop.payouts import services as payouts
from tests.integration import test_stripe_checkout as checkout
from tests.integration.books_helpers import balances
from tests.integration.test_stripe_checkout import deliver, session_id

# The Stripe checkout's fixtures: the store on the fake Stripe, a tent, an order paid for it.
app_config, tent, order, paid = checkout.app_config, checkout.tent, checkout.order, checkout.paid


def entry_lines(entry) -> set:
    return {(line.account.role, line.debit, line.credit) for line in entry.lines}


def fee_posted(order) -> int:
    entries = db.session.scalars(
        sa.select(JournalEntry).where(
            JournalEntry.source_type == "payment_fee", JournalEntry.order_id == order.id
        )
    )
    return sum(e.total for e in entries)


# --- Stripe ----------------------------------------------------------------------------


def test_a_stripe_payout_moves_clearing_to_the_bank_less_the_fee(client, paid, stripe_fake):
    settled = stripe_fake.settle(session_id(paid))
    assert deliver(client, settled).json == {"outcome": "fee posted"}
    fee = fee_posted(paid)
    event = stripe_fake.pay_out(arrival_date=1796256000)  # 2026-12-03 00:00 UTC
    body = event["data"]["object"]
    assert body["amount"] == paid.total - fee

    assert deliver(client, event).json == {"outcome": "payout posted"}
    [payout] = db.session.scalars(sa.select(Payout)).all()
    assert (payout.provider, payout.provider_payout_id) == ("stripe", body["id"])
    assert payout.amount == paid.total - fee and payout.currency == "CAD"
    assert payout.arrival_date == date(2026, 12, 3) and payout.status == "paid"
    assert payout.entry.date == date(2026, 12, 3)
    assert entry_lines(payout.entry) == {
        (chart.BANK, payout.amount, 0), (chart.CLEARING, 0, payout.amount)
    }  # fmt: skip
    assert balances()[chart.CLEARING] == 0 and balances()[chart.BANK] == payout.amount
    assert payouts.clearing_difference() == 0

    # The same delivery again is applied once (the event id), as every webhook.
    assert deliver(client, event).json == {"outcome": "duplicate"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1


def test_a_fee_no_charge_update_brought_is_fetched_when_the_payout_comes(client, paid, stripe_fake):
    stripe_fake.settle(session_id(paid))  # charge.updated is never delivered
    assert fee_posted(paid) == 0
    event = stripe_fake.pay_out()
    assert deliver(client, event).json == {"outcome": "payout posted (1 fee fetched)"}
    fee = fee_posted(paid)
    assert fee == round(paid.total * 0.029) + 30
    assert balances()[chart.CLEARING] == 0 and balances()[chart.PAYMENT_FEES] == fee
    assert payouts.clearing_difference() == 0
    asked = [r.path for r in stripe_fake.requests if r.method == "GET"]
    assert "/v1/balance_transactions" in asked
    assert f"/v1/charges/{stripe_fake.charge_of(session_id(paid))['id']}" in asked


def test_a_payout_that_fails_after_it_was_paid_is_reversed(client, paid, stripe_fake):
    stripe_fake.settle(session_id(paid))
    paid_event = stripe_fake.pay_out()
    assert deliver(client, paid_event).json["outcome"].startswith("payout posted")
    failed = stripe_fake.fail_payout(paid_event["data"]["object"]["id"])
    assert deliver(client, failed).json == {"outcome": "payout failed"}
    [payout] = db.session.scalars(sa.select(Payout)).all()
    assert payout.status == "failed"
    assert entry_lines(payout.reversal) == {
        (chart.CLEARING, payout.amount, 0), (chart.BANK, 0, payout.amount)
    }  # fmt: skip
    assert balances()[chart.BANK] == 0
    assert balances()[chart.CLEARING] == paid.total - fee_posted(paid)
    assert payouts.clearing_difference() == 0
    assert deliver(client, failed).json == {"outcome": "duplicate"}


def test_a_badly_signed_payout_posts_nothing(client, paid, stripe_fake):
    event = stripe_fake.pay_out()
    response = deliver(client, event, secret="whsec_someone_else")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0
