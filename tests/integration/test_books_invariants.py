"""The books hold whatever happens: property tests driving the real services.

For every paid order the invoice total is the order total is the amount paid,
and the sale's entry credits tax payable with exactly the invoice's tax lines.
Over any sequence of orders, payments, declines, expiries, fees, replayed events
and refunds, the trial balance is zero and no source is posted twice.

The database is kept from one example to the next (a fixture's app serves all
of a test's examples), so each check covers everything posted so far.
"""

import secrets
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop import clock
from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import CommissionAgent, JournalEntry
from shop.billing import services as billing
from shop.billing.errors import BillingError
from shop.billing.models import CREDIT_NOTE, INVOICE, Invoice, InvoiceTax
from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order, Payment, PaymentEvent
from shop.payments import demo
from shop.payments.services import (
    EXPIRED,
    FAILED,
    SUCCEEDED,
    PaymentEventData,
    apply_payment_event,
)
from shop.store_details.services import store_settings
from shop.tax.calculations import round_half_up
from tests.factories import ProductFactory, VariantFactory
from tests.integration.books_helpers import (
    ADDRESSES,
    balances,
    open_payment,
    paid_event,
    place_pending_order,
    source_keys_posted_twice,
    unbalanced_entries,
)
from tests.integration.checkout_helpers import seed_reference_data

PROPERTY = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # the examples depend on the rows left by earlier ones: replay none
)
PROVINCES = sorted(ADDRESSES)
# name: price, tax class; the sticker costs so little that a 5 % commission on it is nothing
GOODS = {
    "tent": (34900, "standard"),
    "socks": (1299, "standard"),
    "coffee": (1899, "zero-rated"),
    "sticker": (9, "standard"),
}
DECLINED = "4000000000000002"
PAID = "4242424242424242"


@pytest.fixture
def goods(app):
    classes = seed_reference_data()
    variants = {
        name: VariantFactory(
            product=ProductFactory(name=name.title(), backorderable=True),
            price=price,
            tax_class=classes[tax_class],
            weight_g=300,
            stock=100_000,
        )  # fmt: skip
        for name, (price, tax_class) in GOODS.items()
    }
    agent = CommissionAgent(name="Rita Referrer", code="RITA", rate=Decimal("0.05"))
    db.session.add(agent)
    store_settings()
    books.seed_chart()
    db.session.commit()
    return {"variants": {k: v.id for k, v in variants.items()}, "agent": agent.id}


items_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(GOODS)), st.integers(1, 3)),
    min_size=1, max_size=3, unique_by=lambda item: item[0],
)  # fmt: skip
new_order = st.tuples(
    st.just("order"), st.sampled_from(PROVINCES), items_strategy,
    st.sampled_from(["demo", "stripe"]), st.booleans(),
)  # fmt: skip
# Paying is the common case, so it comes up more often than the others.
ACTIONS = ["pay"] * 4 + ["refund"] * 2 + ["decline", "expire", "replay", "wrong_amount", "fee"]
action = st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3))  # 0: the newest order
steps_strategy = st.lists(st.one_of(new_order, action, action), min_size=4, max_size=24)


class Books:
    """What the steps did, counted apart from the ledger, to compare with it."""

    def __init__(self, goods):
        self.goods = goods
        self.order_ids: list[int] = []
        self.received = 0  # payments that paid an order
        self.refunded = 0
        self.fees = 0
        self.commissions = 0

    # --- steps ------------------------------------------------------------------------

    def place(self, province, items, provider, referred) -> None:
        lines = [(self.goods["variants"][name], quantity) for name, quantity in items]
        order = place_pending_order(
            lines, province=province, provider=provider, email=f"b{len(self.order_ids)}@x.test"
        )
        if referred:  # as a ?ref= link would have it
            order.commission_agent_id, order.commission_rate = self.goods["agent"], Decimal("0.05")
        db.session.commit()
        self.order_ids.append(order.id)

    def act(self, kind: str, back: int) -> None:
        """Do this to the newest order, or one a few orders back."""
        order = db.session.get(Order, self.order_ids[-1 - back % len(self.order_ids)])
        getattr(self, kind)(order)
        db.session.commit()

    def pay(self, order) -> None:
        was = order.status
        if order.payment_provider == demo.NAME:
            demo.charge(order=order, card_number=PAID)
        else:
            apply_payment_event(paid_event(order, open_payment(order, "stripe")))
        if was != "paid" and order.status == "paid":
            self.received += order.total
            if order.commission_rate:
                self.commissions += round_half_up(order.subtotal * order.commission_rate)
            if order.payment_provider == demo.NAME:
                s = store_settings()
                self.fees += books.demo_fee(order.total, s.demo_fee_percent, s.demo_fee_fixed)

    def decline(self, order) -> None:
        if order.payment_provider == demo.NAME:
            demo.charge(order=order, card_number=DECLINED)
        else:
            self._event(order, FAILED, reason="Your card was declined.")

    def expire(self, order) -> None:
        self._event(order, EXPIRED)

    def replay(self, order) -> None:
        """The last event the provider sent about this order, delivered again."""
        last = db.session.scalar(
            sa.select(PaymentEvent)
            .where(PaymentEvent.order_id == order.id)
            .order_by(PaymentEvent.id.desc())
            .limit(1)
        )
        if last is not None:
            again = paid_event(order, open_payment(order, last.provider), event_id=last.event_id)
            assert apply_payment_event(again) == "duplicate"

    def wrong_amount(self, order) -> None:
        payment = open_payment(order, order.payment_provider)
        outcome = apply_payment_event(paid_event(order, payment, amount=order.total + 1))
        assert outcome.startswith("rejected: amount")

    def fee(self, order) -> None:
        """The processor reports its fee, perhaps again (the demo's is posted when paid)."""
        if order.status != "paid":
            return
        payment = open_payment(order, order.payment_provider)
        key = f"fee:{payment.provider}:" + (
            payment.reference if payment.provider == demo.NAME else f"txn_{order.id}"
        )
        new = books.already_posted(key) is None
        fee = books.demo_fee(order.total, Decimal("2.9"), 30)
        books.post_processor_fee(
            order=order, fee=fee, source_key=key, on=clock.store_date(utcnow()), provider="Stripe"
        )
        assert not (new and payment.provider == demo.NAME), "the demo's fee is posted on payment"
        self.fees += fee if new else 0

    def refund(self, order) -> None:
        invoice = billing.invoice_for_order(order)
        if invoice is None:
            return
        try:
            note = billing.issue_credit_note(invoice=invoice, reason="Returned")
        except BillingError:
            db.session.rollback()
            assert db.session.scalar(
                sa.select(Invoice.id).where(Invoice.credits_invoice_id == invoice.id)
            )
            return
        books.post_refund(order=order, credit_note=note)
        self.refunded += invoice.total

    def _event(self, order, outcome: str, reason: str = "") -> None:
        payment = open_payment(order, order.payment_provider)
        apply_payment_event(
            PaymentEventData(
                provider=payment.provider, event_id=f"evt_{secrets.token_hex(8)}",
                event_type=f"test.{outcome}", outcome=outcome, reference=payment.reference,
                reason=reason,
            )
        )  # fmt: skip


@pytest.fixture
def tally(goods):
    return Books(goods)


# --- the checks ------------------------------------------------------------------------


def check_paid_orders() -> int:
    """Every paid order: invoice = order = amount paid; its sale entry balances and owes
    the invoice's own tax lines, component by component."""
    invoices = db.session.scalars(sa.select(Invoice).where(Invoice.kind == INVOICE)).all()
    for invoice in invoices:
        order = db.session.get(Order, invoice.order_id)
        succeeded = [p for p in order.payments if p.status == SUCCEEDED]
        assert len(succeeded) == 1, [(p.provider, p.status) for p in order.payments]
        [payment] = succeeded
        assert invoice.total == order.total == payment.amount
        assert invoice.subtotal + invoice.shipping_total + invoice.tax_total == invoice.total
        sale = books.already_posted(f"sale:order:{order.id}")
        assert sale is not None and sale.order_id == order.id
        assert sum(x.debit for x in sale.lines) == sum(x.credit for x in sale.lines)
        by_role = defaultdict(int)
        for line in sale.lines:
            by_role[line.account.role] += line.credit - line.debit
        assert by_role[chart.CLEARING] == -invoice.total
        assert by_role[chart.SALES] == invoice.subtotal
        assert by_role[chart.SHIPPING_INCOME] == invoice.shipping_total
        owed = Counter()
        for tax in invoice.taxes:
            owed[chart.tax_role(tax.component)] += tax.amount
        posted = {r: v for r, v in by_role.items() if r.startswith("tax:") and v}
        assert posted == {r: v for r, v in owed.items() if v}
        assert [t.amount for t in invoice.taxes] == [t.amount for t in order.taxes]
    paid = db.session.scalar(
        sa.select(sa.func.count(Order.id)).where(Order.status == "paid", Order.paid_at.is_not(None))
    )
    assert paid == len(invoices)
    return len(invoices)


def check_ledger(tally: Books) -> None:
    assert unbalanced_entries() == []
    assert source_keys_posted_twice() == []
    balance = balances()
    assert sum(balance.values()) == 0  # the trial balance
    assert balance[chart.CLEARING] == tally.received - tally.refunded - tally.fees
    assert balance[chart.PAYMENT_FEES] == tally.fees
    assert balance[chart.COMMISSIONS] == -balance[chart.COMMISSIONS_PAYABLE] == tally.commissions

    def total(column, kind):
        query = sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(Invoice.kind == kind)
        return db.session.scalar(query)

    assert tally.received == total(Invoice.total, INVOICE)
    assert tally.refunded == -total(Invoice.total, CREDIT_NOTE)
    assert balance[chart.SALES] == -total(Invoice.subtotal, INVOICE)
    assert balance[chart.REFUNDS] == -total(Invoice.subtotal, CREDIT_NOTE)
    shipping = total(Invoice.shipping_total, INVOICE) + total(Invoice.shipping_total, CREDIT_NOTE)
    assert balance[chart.SHIPPING_INCOME] == -shipping
    # Tax payable, per component: what the invoices charged less what credit notes gave back.
    owed = db.session.execute(
        sa.select(InvoiceTax.component, sa.func.sum(InvoiceTax.amount)).group_by(
            InvoiceTax.component
        )
    ).all()
    for component, amount in owed:
        assert balance[chart.tax_role(component)] == -amount, component
    assert {r for r, v in balance.items() if r.startswith("tax:") and v} <= {
        chart.tax_role(c) for c, _ in owed
    }
    # Each paid order's sale, commission and demo fee once; each refund once.
    kinds = Counter(db.session.scalars(sa.select(JournalEntry.source_type)))
    assert kinds["sale"] == db.session.scalar(
        sa.select(sa.func.count(Invoice.id)).where(Invoice.kind == INVOICE)
    )
    assert kinds["refund"] == db.session.scalar(
        sa.select(sa.func.count(Invoice.id)).where(Invoice.kind == CREDIT_NOTE)
    )
    succeeded = db.session.scalars(sa.select(Payment).where(Payment.status == SUCCEEDED)).all()
    assert sum(p.amount for p in succeeded) == tally.received


# --- the properties --------------------------------------------------------------------


@PROPERTY
@given(
    orders=st.lists(
        st.tuples(st.sampled_from(PROVINCES), items_strategy, st.sampled_from(["demo", "stripe"])),
        min_size=1,
        max_size=4,
    )  # fmt: skip
)
def test_every_paid_order_adds_up(tally, orders):
    for province, items, provider in orders:
        tally.place(province, items, provider, referred=False)
        tally.act("pay", 0)
    assert check_paid_orders() == len(tally.order_ids)
    check_ledger(tally)


@PROPERTY
@given(steps=steps_strategy)
def test_any_sequence_keeps_the_trial_balance_at_zero(tally, steps):
    for step in steps:
        if step[0] == "order":
            tally.place(*step[1:])
        elif tally.order_ids:
            tally.act(*step)
    check_paid_orders()
    check_ledger(tally)


def test_a_referred_order_of_a_few_cents_earns_no_commission_and_is_paid(tally):
    tally.place("AB", [("sticker", 1)], "demo", referred=True)
    tally.act("pay", 0)
    order = db.session.get(Order, tally.order_ids[0])
    assert order.status == "paid" and order.subtotal == 9
    assert books.already_posted(f"commission:order:{order.id}") is None
    check_paid_orders()
    check_ledger(tally)
