"""Two bookkeepers pay the same supplier bill, or bill the same receipts, at the same moment.

Real threads, each with its own app context and database connection, released
together by a barrier: the bill's row lock (the purchase order's, when billing)
on PostgreSQL, or the write lock taken at BEGIN on SQLite, makes the second wait
and then see what the first did, so a bill is never overpaid and a unit never
billed twice.
"""

import pytest
import sqlalchemy as sa

from shop.accounting.models import JournalEntry
from shop.backorders import purchase_orders
from shop.clock import store_today
from shop.extensions import db
from shop.payables import bills, checks, payments
from shop.payables import models as m
from shop.purchasing.models import PurchaseOrder
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.payables_helpers import draft, enter, received_po
from tests.integration.purchasing_helpers import sent_po
from tests.integration.race_helpers import at_once


@pytest.fixture
def classes(app):
    return seed_reference_data()


def test_two_payments_of_one_bill_at_once_never_overpay_it(app, classes):
    po = received_po(classes, quantity=10, unit_cost=1000)
    bill_id = enter(po).id  # 100.00

    def payer(reference: str):
        def pay():
            bill = db.session.get(m.SupplierBill, bill_id)
            payments.record_payment(
                bill=bill, paid_on=store_today(), method=m.CHEQUE, reference=reference,
                amount=6000, user=None,
            )  # fmt: skip

        pay.__name__ = f"pay_{reference}"
        return pay

    outcome = at_once(app, payer("101"), payer("102"))
    assert outcome.failed == []  # a deadlock or a 500 would land here
    assert len(outcome.done) == 1
    [refused] = outcome.refused
    assert "would overpay" in refused
    db.session.expire_all()
    bill = db.session.get(m.SupplierBill, bill_id)
    assert (bill.amount_paid, bill.status, len(bill.payments)) == (6000, m.PARTLY_PAID, 1)
    entries = db.session.scalars(
        sa.select(JournalEntry).where(JournalEntry.source_type == payments.SOURCE)
    ).all()
    assert len(entries) == 1
    assert checks.payable_difference() == 0


def test_two_bills_of_the_same_receipts_at_once_bill_each_unit_once(app, classes):
    po_id = received_po(classes, quantity=10, unit_cost=1000).id

    def biller(number: str):
        def enter_bill():
            po = db.session.get(PurchaseOrder, po_id)
            bills.enter_bill(po=po, draft=draft(po, number, quantity=10), user=None)

        enter_bill.__name__ = f"bill_{number}"
        return enter_bill

    outcome = at_once(app, biller("A-1"), biller("B-1"))
    assert outcome.failed == []
    assert len(outcome.done) == 1
    [refused] = outcome.refused
    assert "0 received and not yet billed" in refused
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(m.SupplierBill.id))) == 1
    assert checks.received_not_billed_difference() == 0
    assert checks.payable_difference() == 0


def test_one_invoice_number_on_two_purchase_orders_at_once_is_entered_once(app, classes):
    first = received_po(classes, quantity=2, unit_cost=1000)
    second = sent_po(first.lines[0].variant, 3, unit_cost=1000)  # the same supplier
    purchase_orders.receive_purchase_order(po=second, quantities={second.lines[0].id: 3}, user=None)
    db.session.commit()
    po_ids = [first.id, second.id]

    def biller(po_id: int):
        def enter_bill():
            po = db.session.get(PurchaseOrder, po_id)
            bills.enter_bill(po=po, draft=draft(po, "SAME-7"), user=None)

        enter_bill.__name__ = f"bill_po_{po_id}"
        return enter_bill

    outcome = at_once(app, *[biller(i) for i in po_ids])
    assert outcome.failed == []
    assert len(outcome.done) == 1
    [refused] = outcome.refused
    assert "SAME-7" in refused
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(m.SupplierBill.id))) == 1
    assert checks.payable_difference() == checks.received_not_billed_difference() == 0
