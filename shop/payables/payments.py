"""Paying supplier bills: a payment date scheduled, the "to pay" list, and payments
recorded (cheque or EFT, in parts if need be) that clear accounts payable.

A payment posts accounts payable / bank with the cheque number or EFT reference
in the entry's description and the bank line's memo, so a line of the bank
statement can be matched to it. The bill is locked (shop.locks) while a payment
is recorded: two payments of one bill at the same moment queue, and the second
sees what the first paid, so a bill is never overpaid.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop import locks
from shop.accounting import chart
from shop.accounting import services as books
from shop.clock import store_today
from shop.db import utcnow
from shop.extensions import db
from shop.formatting import local_date
from shop.payables import models as m
from shop.payables.bills import money
from shop.payables.errors import PayablesError

SOURCE = "supplier_payment"
MAX_REFERENCE = 60


def schedule_payment(*, bill: m.SupplierBill, pay_on: date | None) -> m.SupplierBill:
    """The day the bill is to be paid (None: unscheduled, paid by its due date)."""
    if bill.status not in m.UNPAID:
        raise PayablesError(
            f"Bill {bill.invoice_number} is {m.STATUS_LABELS[bill.status].lower()}; "
            "there is nothing to schedule.",
            "pay_on",
        )
    if pay_on is not None:
        _not_before_the_bill(bill, pay_on, "pay_on")
    bill.pay_on = pay_on
    db.session.flush()
    return bill


def _not_before_the_bill(bill: m.SupplierBill, day: date, field: str) -> None:
    """Nothing is paid for a bill before its date (a typo like 0001-01-01 would post there)."""
    if day < bill.bill_date:
        raise PayablesError(
            f"{local_date(day)} is before the bill's date, {local_date(bill.bill_date)}; enter "
            "the day of the payment.",
            field,
        )


def record_payment(
    *, bill: m.SupplierBill, paid_on: date | None, method: str, reference: str, amount: int,
    user,
) -> m.SupplierPayment:  # fmt: skip
    """Money sent to the supplier against this bill, up to what is still open."""
    bill = locks.lock_supplier_bill(bill.id)
    if bill is None:
        raise PayablesError("That bill no longer exists.")
    if bill.status not in m.UNPAID:
        raise PayablesError(
            f"Bill {bill.invoice_number} is {m.STATUS_LABELS[bill.status].lower()}; "
            "there is nothing left to pay."
        )
    if paid_on is None:
        raise PayablesError("Enter the date of the payment.", "paid_on")
    if paid_on > store_today():
        raise PayablesError(
            "Record a payment once it is made; to plan one, schedule it.", "paid_on"
        )
    _not_before_the_bill(bill, paid_on, "paid_on")
    if method not in m.METHODS:
        raise PayablesError("Choose cheque or EFT.", "method")
    reference = (reference or "").strip()
    if not reference:
        raise PayablesError("Enter the cheque number or the EFT reference.", "reference")
    if len(reference) > MAX_REFERENCE:
        raise PayablesError(f"Use at most {MAX_REFERENCE} characters.", "reference")
    if not isinstance(amount, int) or amount <= 0:
        raise PayablesError("Enter the amount paid, like 131.25.", "amount")
    if amount > bill.open_amount:
        raise PayablesError(
            f"{money(bill.open_amount)} is still open on bill "
            f"{bill.invoice_number}; {money(amount)} would overpay it.",
            "amount",
        )
    payment = m.SupplierPayment(
        bill=bill, paid_on=paid_on, method=method, reference=reference, amount=amount,
        user_id=getattr(user, "id", None), created_at=utcnow(),
    )  # fmt: skip
    db.session.add(payment)
    bill.amount_paid += amount
    bill.status = m.PAID if bill.amount_paid == bill.total else m.PARTLY_PAID
    if bill.status == m.PAID:
        bill.pay_on = None
    db.session.flush()
    payment.entry = _post(payment, bill, user)
    db.session.flush()
    return payment


def _post(payment: m.SupplierPayment, bill: m.SupplierBill, user):
    said = f"{m.METHODS[payment.method]} {payment.reference}"
    return books.post_entry(
        source_type=SOURCE, source_key=f"bill_payment:{payment.id}", on=payment.paid_on,
        description=f"{said} to {bill.supplier.name}, bill {bill.invoice_number}",
        lines=[
            books.Line(chart.PAYABLE, debit=payment.amount, memo=f"Bill {bill.invoice_number}"),
            books.Line(chart.BANK, credit=payment.amount, memo=said),
        ],
        user=user,
    )  # fmt: skip


def to_pay(by: date) -> list[m.SupplierBill]:
    """Unpaid bills to pay by this day: scheduled for it, or due by it when not scheduled."""
    when = sa.func.coalesce(m.SupplierBill.pay_on, m.SupplierBill.due_date)
    return list(
        db.session.scalars(
            sa.select(m.SupplierBill)
            .where(m.SupplierBill.status.in_(m.UNPAID), when <= by)
            .options(selectinload(m.SupplierBill.supplier))
            .order_by(when, m.SupplierBill.id)
        )
    )
