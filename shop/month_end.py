"""The month-end checks: each part of the store agrees with its account in the books.

Before closing a period the bookkeeper wants to know that nothing slipped: the
trial balance is zero, and each control account holds exactly what the records
behind it say (stock at cost, bills not paid, goods not billed, card money not
yet paid out, tax charged on invoices, tax claimed on bills). Each check gives
the books' figure, the records' figure and the difference; 0 is right. A manual
entry to a control account shows here as a difference, which is the point.

This module sits above the areas it reads (inventory, payables, payments,
billing, accounting) and below the faces; nothing in the domain imports it.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.billing.models import InvoiceTax
from shop.extensions import db
from shop.inventory import valuation
from shop.payables import checks as payables
from shop.payables.bills import SOURCE as BILL_SOURCE
from shop.payables.bills import VOID_SOURCE as BILL_VOID_SOURCE
from shop.payables.models import VOID, SupplierBill, SupplierBillTax
from shop.payouts import services as payouts

# The entries that carry tax charged to customers: a sale, and a refund's reversal.
TAX_CHARGED_SOURCES = ("sale", "refund")
BILL_SOURCES = (BILL_SOURCE, BILL_VOID_SOURCE)


@dataclass(frozen=True)
class Check:
    name: str
    books: int  # the account's balance, in its natural sign
    records: int  # what the records behind it add up to
    role: str | None = None  # the account to open for the entries behind the figure

    @property
    def difference(self) -> int:
        return self.books - self.records

    @property
    def ok(self) -> bool:
        return self.difference == 0


def _sum(query) -> int:
    return int(db.session.scalar(query) or 0)


def _balance(role: str, *where) -> int:
    """Debits less credits on the account playing `role`, of the entries matching `where`."""
    return _sum(
        sa.select(sa.func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalLine.account)
        .join(JournalLine.entry)
        .where(Account.role == role, *where)
    )


def trial_balance_check() -> Check:
    debits = _sum(sa.select(sa.func.sum(JournalLine.debit)))
    credits = _sum(sa.select(sa.func.sum(JournalLine.credit)))
    return Check("Trial balance: debits equal credits", debits, credits)


def inventory_check() -> Check:
    return Check(
        "Inventory = stock on hand at average cost",
        valuation.inventory_balance(),
        valuation.stock_value_total(),
        chart.INVENTORY,
    )


def received_not_billed_check() -> Check:
    books = -_balance(chart.RECEIVED_NOT_BILLED)
    return Check(
        "Goods received not billed = units received, not yet billed, at PO cost",
        books,
        payables.not_billed_at_po_cost(),
        chart.RECEIVED_NOT_BILLED,
    )


def payable_check() -> Check:
    return Check(
        "Accounts payable = open supplier bills",
        -_balance(chart.PAYABLE),
        payables.open_bills_total(),
        chart.PAYABLE,
    )


def clearing_check() -> Check:
    books = _balance(chart.CLEARING)
    return Check(
        "Processor clearing = payments taken less fees, refunds and payouts",
        books,
        books - payouts.clearing_difference(),
        chart.CLEARING,
    )


def tax_charged_checks() -> list[Check]:
    """Per component: tax payable from sales and refunds = tax on invoices less credit notes
    (a credit note's tax lines are negative). Payments to the government are left out."""
    invoiced = dict(
        db.session.execute(
            sa.select(InvoiceTax.component, sa.func.sum(InvoiceTax.amount)).group_by(
                InvoiceTax.component
            )
        ).all()
    )
    checks = []
    for component in sorted(set(invoiced) | {"GST", "HST", "PST", "QST"}):
        role = chart.tax_role(component)
        books = -_balance(role, JournalEntry.source_type.in_(TAX_CHARGED_SOURCES))
        checks.append(
            Check(
                f"{component} payable = {component} on invoices less credit notes",
                books,
                int(invoiced.get(component) or 0),
                role,
            )
        )
    return checks


def input_tax_credit_checks() -> list[Check]:
    """Per recoverable component: credits claimed from supplier bills = tax on those bills."""
    on_bills = dict(
        db.session.execute(
            sa.select(SupplierBillTax.component, sa.func.sum(SupplierBillTax.amount))
            .join(SupplierBill, SupplierBill.id == SupplierBillTax.bill_id)
            .where(SupplierBill.status != VOID)
            .group_by(SupplierBillTax.component)
        ).all()
    )
    checks = []
    for component in chart.RECOVERABLE_TAXES:
        role = chart.itc_role(component)
        books = _balance(role, JournalEntry.source_type.in_(BILL_SOURCES))
        name = f"{component} input tax credits = {component} on supplier bills"
        checks.append(Check(name, books, int(on_bills.get(component) or 0), role))
    return checks


def month_end_checks() -> list[Check]:
    return [
        trial_balance_check(),
        inventory_check(),
        received_not_billed_check(),
        payable_check(),
        clearing_check(),
        *tax_charged_checks(),
        *input_tax_credit_checks(),
    ]
