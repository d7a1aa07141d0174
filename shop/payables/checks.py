"""Two invariants of the books the lead's property test checks (0 when right).

accounts payable          = the open amounts of unpaid supplier bills
goods received not billed = (units received - units billed) x PO unit cost, all PO lines
"""

import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import Account, JournalLine
from shop.extensions import db
from shop.payables import models as m
from shop.payables.bills import billed_units
from shop.purchasing.models import PurchaseOrderLine


def credit_balance(role: str) -> int:
    """Credits minus debits posted to the account playing this role."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(JournalLine.credit - JournalLine.debit), 0))
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.role == role)
    )


def open_bills_total() -> int:
    return db.session.scalar(
        sa.select(
            sa.func.coalesce(sa.func.sum(m.SupplierBill.total - m.SupplierBill.amount_paid), 0)
        ).where(m.SupplierBill.status.in_(m.UNPAID))
    )


def payable_difference() -> int:
    """Accounts payable balance minus the open bills' total."""
    return int(credit_balance(chart.PAYABLE)) - int(open_bills_total())


def not_billed_at_po_cost() -> int:
    lines = db.session.execute(
        sa.select(
            PurchaseOrderLine.id, PurchaseOrderLine.quantity_received, PurchaseOrderLine.unit_cost
        ).where(PurchaseOrderLine.quantity_received > 0)
    ).all()
    billed = billed_units(line.id for line in lines)
    return sum((units - billed.get(line_id, 0)) * cost for line_id, units, cost in lines)


def received_not_billed_difference() -> int:
    """Goods received not billed balance minus the units received and not billed, at PO cost."""
    return int(credit_balance(chart.RECEIVED_NOT_BILLED)) - not_billed_at_po_cost()
