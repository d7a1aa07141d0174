"""Supplier bills against received purchase orders: the proposal, three-way match, the
posting by hand, payments in parts, refusals that change nothing, the invariants.

Every scenario runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import Account, JournalEntry
from shop.clock import store_today
from shop.extensions import db
from shop.payables import bills, checks, payments
from shop.payables import models as m
from shop.payables.errors import PayablesError
from tests.integration.books_helpers import balances, unbalanced_entries
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.payables_helpers import draft, enter, received_po
from tests.integration.purchasing_helpers import entry_amounts

GRNI = chart.RECEIVED_NOT_BILLED


@pytest.fixture
def classes(app):
    return seed_reference_data()


def books_state():
    """Everything a refused bill or payment must leave as it was."""
    db.session.expire_all()
    return (
        dict(balances()),
        db.session.scalar(sa.select(sa.func.count(JournalEntry.id))),
        db.session.scalar(sa.select(sa.func.count(m.SupplierBill.id))),
        db.session.scalar(sa.select(sa.func.count(m.SupplierPayment.id))),
        db.session.scalar(sa.select(sa.func.sum(m.SupplierBill.amount_paid))),
    )


def test_the_bill_proposes_what_is_received_and_not_billed_at_the_po_cost(classes):
    po = received_po(classes, quantity=10, unit_cost=1200, received=6)
    [proposed] = bills.proposal(po)
    assert (proposed.line.quantity_received, proposed.billed, proposed.to_bill) == (6, 0, 6)
    enter(po, quantity=4)
    [proposed] = bills.proposal(po)
    assert (proposed.billed, proposed.to_bill) == (4, 2)


def test_posting_by_hand_price_difference_to_variance_gst_to_input_tax_credits(classes):
    # Received 10 at $12.00; the supplier bills 10 at $12.50 with GST 5 % (Alberta).
    po = received_po(classes, quantity=10, unit_cost=1200, province="AB")
    checked = bills.check(po, draft(po, unit_cost=1250, taxes={"GST": 625}))
    assert [f.field for f in checked.flags] == [bills.goods_field(po.lines[0].id, "unit_cost")]
    assert checked.total == 13125

    bill = enter(po, unit_cost=1250, taxes={"GST": 625})

    assert entry_amounts(bill.entry) == {
        GRNI: (12000, 0),
        chart.PRICE_VARIANCE: (500, 0),
        chart.itc_role("GST"): (625, 0),
        chart.PAYABLE: (0, 13125),
    }
    assert bill.entry.source_key == f"bill:{bill.id}"
    assert (bill.status, bill.total, bill.open_amount) == (m.OPEN, 13125, 13125)
    assert bill.due_date == store_today() + timedelta(days=30)  # Net 30 by default
    assert balances()[GRNI] == 0  # the receipt's 120.00 credit is cleared
    assert balances()[chart.INVENTORY] == 12000  # a bill never changes stock value
    assert checks.payable_difference() == 0
    assert checks.received_not_billed_difference() == 0


def test_an_ontario_bill_claims_hst_and_a_cheaper_price_credits_the_variance(classes):
    po = received_po(classes, quantity=10, unit_cost=1200, province="ON")
    bill = enter(po, unit_cost=1150, taxes={"HST": 1495})  # 13 % of 115.00
    assert entry_amounts(bill.entry) == {
        GRNI: (12000, 0),
        chart.PRICE_VARIANCE: (0, 500),
        chart.itc_role("HST"): (1495, 0),
        chart.PAYABLE: (0, 12995),
    }


def test_pst_goes_to_non_recoverable_tax_and_freight_to_its_account(classes):
    po = received_po(classes, quantity=5, unit_cost=2000, province="BC")
    freight = db.session.scalar(sa.select(Account).where(Account.code == "5000"))
    charges = [bills.Charge(freight.id, "Freight", 1500)]
    bill = enter(po, taxes={"GST": 575, "PST": 805}, charges=charges)  # on 115.00
    assert entry_amounts(bill.entry) == {
        GRNI: (10000, 0),
        chart.COGS: (1500, 0),  # freight in, on the account the bookkeeper chose
        chart.itc_role("GST"): (575, 0),
        chart.TAX_EXPENSE: (805, 0),
        chart.PAYABLE: (0, 12880),
    }
    assert checks.payable_difference() == checks.received_not_billed_difference() == 0


def test_a_tax_far_from_the_province_rate_is_flagged_not_refused(classes):
    po = received_po(classes, quantity=10, unit_cost=1200, province="ON")
    checked = bills.check(po, draft(po, taxes={"GST": 600}))  # ON charges HST 13 %, not GST
    assert {f.field for f in checked.flags} == {"tax_GST", "tax_HST"}
    assert "15.60" in checked.flag_for("tax_HST")
    assert bills.check(po, draft(po, taxes={"HST": 1561})).flags == []  # a cent off: quiet
    enter(po, taxes={"GST": 600})  # still posts: the invoice is what was charged
    assert checks.payable_difference() == 0


def test_billing_fewer_units_than_received_is_flagged_and_leaves_the_rest_to_bill(classes):
    po = received_po(classes, quantity=10, unit_cost=1200)
    checked = bills.check(po, draft(po, quantity=7))
    assert checked.flag_for(bills.goods_field(po.lines[0].id, "quantity")).startswith("10 received")
    enter(po, quantity=7)
    assert balances()[GRNI] == -3600  # 3 units still received and not billed
    assert checks.received_not_billed_difference() == 0


def test_billing_more_than_received_is_refused_beside_the_field_and_changes_nothing(classes):
    po = received_po(classes, quantity=10, unit_cost=1200, received=6)
    before = books_state()
    with pytest.raises(PayablesError) as refused:
        bills.enter_bill(po=po, draft=draft(po, quantity=7), user=None)
    db.session.rollback()
    assert refused.value.field == bills.goods_field(po.lines[0].id, "quantity")
    assert "6 received and not yet billed" in refused.value.message
    assert books_state() == before


def test_the_same_supplier_invoice_number_twice_is_refused(classes):
    po = received_po(classes, quantity=10, unit_cost=1200)
    enter(po, "A-100", quantity=5)
    before = books_state()
    with pytest.raises(PayablesError) as refused:
        bills.enter_bill(po=po, draft=draft(po, "a-100", quantity=5), user=None)
    db.session.rollback()
    assert refused.value.field == "invoice_number"
    assert books_state() == before


def test_payments_in_two_parts_clear_the_bill_and_post_to_the_bank(classes):
    po = received_po(classes, quantity=10, unit_cost=1200)
    bill = enter(po, taxes={"GST": 600})  # 126.00
    first = payments.record_payment(
        bill=bill, paid_on=store_today(), method=m.CHEQUE, reference="1042", amount=6000,
        user=None,
    )  # fmt: skip
    db.session.commit()
    assert (bill.status, bill.open_amount) == (m.PARTLY_PAID, 6600)
    assert entry_amounts(first.entry) == {chart.PAYABLE: (6000, 0), chart.BANK: (0, 6000)}
    assert "1042" in first.entry.description
    assert checks.payable_difference() == 0
    payments.record_payment(
        bill=bill, paid_on=store_today(), method=m.EFT, reference="EFT-77", amount=6600,
        user=None,
    )  # fmt: skip
    db.session.commit()
    assert (bill.status, bill.open_amount, bill.amount_paid) == (m.PAID, 0, 12600)
    assert balances()[chart.PAYABLE] == 0
    assert balances()[chart.BANK] == -12600
    assert unbalanced_entries() == []


@pytest.mark.parametrize("amount", [12601, 0, -5])
def test_an_overpayment_or_nothing_is_refused_and_changes_nothing(classes, amount):
    po = received_po(classes, quantity=10, unit_cost=1200)
    bill = enter(po, taxes={"GST": 600})
    before = books_state()
    with pytest.raises(PayablesError) as refused:
        payments.record_payment(
            bill=bill, paid_on=store_today(), method=m.CHEQUE, reference="9", amount=amount,
            user=None,
        )  # fmt: skip
    db.session.rollback()
    assert refused.value.field == "amount"
    assert books_state() == before


def test_paying_a_paid_bill_is_refused(classes):
    po = received_po(classes, quantity=2, unit_cost=1000)
    bill = enter(po)
    payments.record_payment(
        bill=bill, paid_on=store_today(), method=m.EFT, reference="T1", amount=2000, user=None
    )
    db.session.commit()
    before = books_state()
    with pytest.raises(PayablesError, match="paid; there is nothing left to pay"):
        payments.record_payment(
            bill=bill, paid_on=store_today(), method=m.EFT, reference="T2", amount=1, user=None
        )
    db.session.rollback()
    assert books_state() == before


def test_voiding_an_unpaid_bill_reverses_it_and_frees_its_units(classes):
    po = received_po(classes, quantity=10, unit_cost=1200)
    bill = enter(po, unit_cost=1250, taxes={"GST": 625})
    bills.void_bill(bill=bill, user=None)
    db.session.commit()
    assert bill.status == m.VOID
    assert balances()[chart.PAYABLE] == 0 and balances()[GRNI] == -12000
    assert balances()[chart.PRICE_VARIANCE] == 0
    assert bills.proposal(po)[0].to_bill == 10
    assert checks.payable_difference() == checks.received_not_billed_difference() == 0


def test_a_bill_with_a_payment_cannot_be_voided(classes):
    po = received_po(classes, quantity=2, unit_cost=1000)
    bill = enter(po)
    payments.record_payment(
        bill=bill, paid_on=store_today(), method=m.EFT, reference="T1", amount=500, user=None
    )
    db.session.commit()
    with pytest.raises(PayablesError, match="only an unpaid bill"):
        bills.void_bill(bill=bill, user=None)
    db.session.rollback()


def test_the_to_pay_list_takes_the_scheduled_day_or_else_the_due_date(classes):
    po = received_po(classes, quantity=10, unit_cost=1200)
    today = store_today()
    late = enter(po, "L", quantity=3, bill_date=today - timedelta(days=40))  # due 10 days ago
    later = enter(po, "S", quantity=3)  # due in 30 days
    payments.schedule_payment(bill=later, pay_on=today + timedelta(days=2))
    enter(po, "N", quantity=4)  # due in 30 days, not scheduled
    db.session.commit()
    assert [b.invoice_number for b in payments.to_pay(today + timedelta(days=7))] == ["L", "S"]
    assert late.due_date == today - timedelta(days=10)


@pytest.mark.parametrize("code", [None, "5010"])  # no account; shrinkage (a rule's own)
def test_a_charge_needs_an_expense_account_the_rules_do_not_keep(classes, code):
    po = received_po(classes, quantity=2, unit_cost=1000)
    account_id = db.session.scalar(sa.select(Account.id).where(Account.code == code))
    before = books_state()
    with pytest.raises(PayablesError) as refused:
        bills.enter_bill(
            po=po, draft=draft(po, charges=[bills.Charge(account_id, "Freight", 900)]), user=None
        )
    db.session.rollback()
    assert refused.value.field == bills.charge_field(0, "account")
    assert books_state() == before
