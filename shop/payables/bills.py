"""Supplier bills: the supplier's invoice entered against a received purchase order.

The store proposes the bill from the receipts: for each purchase-order line, the
units received and not yet billed, at the PO's unit cost. The bookkeeper types
what the supplier's invoice says; three-way match (PO / receipt / bill) flags a
price other than the PO's and a quantity other than what is waiting to be
billed, and refuses billing more units than were received (nothing is saved).
A tax amount far from the line total at the supplier's province's rate is
flagged, never refused: the supplier's invoice is what was paid.

Posting (one entry, source key bill:<id>):

    Goods received not billed   debit  the billed units at the PO's unit cost
    Purchase price variance     debit  bill cost minus PO cost (a credit when cheaper)
    Input tax credits           debit  GST, HST, QST as charged (recoverable)
    Non-recoverable sales tax   debit  PST as charged (a cost, not claimable)
    Other charges (freight...)  debit  the expense account chosen on the line
    Accounts payable            credit the bill's total

Why a price difference goes to a variance account and not onto the stock: the
receipt already put the goods into inventory at the PO's cost, and some of them
may have shipped since, their cost of goods posted at that value. Revaluing
what is left by the difference would move the moving average for units that
are not the ones billed, and make stock value depend on when the bill came in.
A purchase price variance account keeps inventory at what the receipt said (so
the valuation never changes on a bill) and shows, on the profit and loss, what
the buyer's purchase orders missed. Odoo's "price difference" account on the
product category is the reference for the same choice.

A bill's statuses: open (nothing paid), partly paid, paid; void (a reversing
entry, only while nothing is paid: the units it billed can be billed again).
Each public function is one use case: it flushes, never commits.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop import locks
from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import EXPENSE, Account
from shop.clock import store_today
from shop.extensions import db
from shop.formatting import local_date
from shop.money import format_money
from shop.payables import aging
from shop.payables import models as m
from shop.payables.errors import PayablesError
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine
from shop.tax.calculations import rates_for, round_half_up
from shop.tax.models import TaxClass

SOURCE = "supplier_bill"
VOID_SOURCE = "supplier_bill_void"
TAX_COMPONENTS = ("GST", "HST", "QST", "PST")  # as on a Canadian supplier's invoice
MAX_UNIT_COST = 10**9
MAX_NUMBER = 60
OLDEST_BILL_DAYS = 3653  # ten years: past any record a business keeps (CRA: six years)
# A tax amount is "far" from the expected when it misses by more than this many cents
# and this share of the expected: rounding per line on the supplier's side stays quiet.
TAX_SLACK_CENTS = 100
TAX_SLACK_SHARE = Decimal("0.05")


def money(minor: int) -> str:
    """An amount as the bookkeeper reads it, in the base currency: 1250 -> "$12.50"."""
    config = current_app.config
    return format_money(minor, config["BASE_CURRENCY"], config["LOCALE"])


def goods_field(po_line_id: int, what: str) -> str:
    """The form field of a goods line's quantity or unit_cost (errors go beside it)."""
    return f"line_{po_line_id}_{what}"


def charge_field(index: int, what: str) -> str:
    """The form field of another charge's account, description or amount."""
    return f"charge_{index}_{what}"


def tax_field(component: str) -> str:
    return f"tax_{component}"


# --- what the bill would say -----------------------------------------------------------


@dataclass(frozen=True)
class Goods:
    po_line_id: int
    quantity: int
    unit_cost: int


@dataclass(frozen=True)
class Charge:
    account_id: int | None
    description: str
    amount: int


@dataclass
class Draft:
    """The supplier's invoice as the bookkeeper typed it."""

    invoice_number: str
    bill_date: date | None
    due_date: date | None = None  # None: the bill date plus the supplier's terms
    goods: list[Goods] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    taxes: dict[str, int] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Proposed:
    """One purchase-order line as the bill proposes it: what is waiting to be billed."""

    line: PurchaseOrderLine
    billed: int

    @property
    def to_bill(self) -> int:
        return max(self.line.quantity_received - self.billed, 0)


@dataclass(frozen=True)
class Flag:
    field: str
    message: str


@dataclass
class Checked:
    """A draft that may be posted: its total, the expected tax and the flags to look at."""

    subtotal: int
    total: int
    due_date: date
    expected_tax: dict[str, int]
    flags: list[Flag]

    def flag_for(self, name: str) -> str | None:
        return next((f.message for f in self.flags if f.field == name), None)


def billed_units(po_line_ids) -> dict[int, int]:
    """Units of each purchase-order line on bills that are not void."""
    ids = list(po_line_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(m.SupplierBillLine.po_line_id, sa.func.sum(m.SupplierBillLine.quantity))
        .join(m.SupplierBill, m.SupplierBill.id == m.SupplierBillLine.bill_id)
        .where(m.SupplierBillLine.po_line_id.in_(ids), m.SupplierBill.status != m.VOID)
        .group_by(m.SupplierBillLine.po_line_id)
    ).all()
    return {line_id: int(units) for line_id, units in rows}


def proposal(po: PurchaseOrder) -> list[Proposed]:
    """Each line that has received goods, with what its bills already cover."""
    billed = billed_units(line.id for line in po.lines)
    return [Proposed(line, billed.get(line.id, 0)) for line in po.lines if line.quantity_received]


def can_bill(po: PurchaseOrder) -> bool:
    """Something is received and not yet billed."""
    return any(p.to_bill for p in proposal(po))


def expense_accounts() -> list[Account]:
    """Where another charge (freight, duty, handling) may go: an active expense account of
    the owner's, or cost of goods sold; not one a posting rule keeps (shrinkage, variance,
    fees), whose balance must stay what its rule says."""
    return list(
        db.session.scalars(
            sa.select(Account)
            .where(
                Account.type == EXPENSE,
                Account.is_active.is_(True),
                sa.or_(Account.role.is_(None), Account.role == chart.COGS),
            )
            .order_by(Account.code)
        )
    )


def expected_tax(supplier, base: int) -> dict[str, int]:
    """Tax on `base` at the standard rates of the supplier's province ({} when unknown)."""
    if not supplier.province:
        return {}
    standard = db.session.scalar(sa.select(TaxClass.id).where(TaxClass.code == "standard"))
    rates = rates_for("CA", supplier.province).get(standard, [])
    return {r.component: round_half_up(Decimal(base) * Decimal(r.rate)) for r in rates}


def _tax_is_far(entered: int, expected: int) -> bool:
    miss = abs(entered - expected)
    return miss > TAX_SLACK_CENTS and miss > TAX_SLACK_SHARE * expected


def check(po: PurchaseOrder, draft: Draft) -> Checked:
    """Refuse what cannot be billed (PayablesError beside its field); flag what differs."""
    supplier = po.supplier
    _check_header(po, draft)
    flags: list[Flag] = []
    by_id = {p.line.id: p for p in proposal(po)}
    if any(g.po_line_id not in by_id for g in draft.goods):
        raise PayablesError("Those lines are not received on this purchase order; reload.")
    for goods in draft.goods:
        flags += _check_goods(by_id[goods.po_line_id], goods)
    for index, charge in enumerate(draft.charges):
        _check_charge(index, charge)
    for component, amount in draft.taxes.items():
        if component not in TAX_COMPONENTS:
            raise PayablesError(f"{component} is not a Canadian sales tax.")
        if not isinstance(amount, int) or not 0 <= amount <= MAX_UNIT_COST:
            raise PayablesError("Enter the tax as on the invoice, like 6.25.", tax_field(component))
    subtotal = sum(g.quantity * g.unit_cost for g in draft.goods) + sum(
        c.amount for c in draft.charges
    )
    if not any(g.quantity for g in draft.goods) and not any(c.amount for c in draft.charges):
        raise PayablesError("Enter the units billed on at least one line.")
    expected = expected_tax(supplier, subtotal)
    for component in TAX_COMPONENTS:
        entered = draft.taxes.get(component, 0)
        if supplier.province and _tax_is_far(entered, expected.get(component, 0)):
            flags.append(
                Flag(
                    tax_field(component),
                    f"Expected about {money(expected.get(component, 0))} "
                    f"({component} of {supplier.province} on {money(subtotal)}); "
                    "check the supplier's invoice.",
                )
            )
    due = draft.due_date or draft.bill_date + timedelta(days=supplier.payment_terms_days)
    if due < draft.bill_date:
        raise PayablesError("The due date cannot be before the bill date.", "due_date")
    total = subtotal + sum(draft.taxes.values())
    return Checked(subtotal, total, due, expected, flags)


def _check_header(po: PurchaseOrder, draft: Draft) -> None:
    number = (draft.invoice_number or "").strip()
    if not number:
        raise PayablesError("Enter the supplier's invoice number.", "invoice_number")
    if len(number) > MAX_NUMBER:
        raise PayablesError(f"Use at most {MAX_NUMBER} characters.", "invoice_number")
    taken = db.session.scalar(
        sa.select(m.SupplierBill).where(
            m.SupplierBill.supplier_id == po.supplier_id,
            sa.func.lower(m.SupplierBill.invoice_number) == number.lower(),
        )
    )
    if taken is not None:
        raise PayablesError(
            f"{po.supplier.name}'s invoice {number} is already entered (bill {taken.id}).",
            "invoice_number",
        )
    if draft.bill_date is None:
        raise PayablesError("Enter the date on the supplier's invoice.", "bill_date")
    if draft.bill_date > store_today():
        raise PayablesError("The bill date cannot be in the future.", "bill_date")
    if draft.bill_date < store_today() - timedelta(days=OLDEST_BILL_DAYS):
        raise PayablesError(
            f"{local_date(draft.bill_date)} is more than ten years ago; enter the date on the "
            "supplier's invoice.",
            "bill_date",
        )


def _check_goods(proposed: Proposed, goods: Goods) -> list[Flag]:
    line = proposed.line
    where = goods_field(line.id, "quantity")
    if not isinstance(goods.quantity, int) or goods.quantity < 0:
        raise PayablesError("Enter the units billed (0 or more).", where)
    if goods.quantity > proposed.to_bill:
        raise PayablesError(
            f"{line.variant.sku}: {proposed.to_bill} received and not yet billed "
            f"({line.quantity_received} received, {proposed.billed} billed); billing "
            f"{goods.quantity} is more. Enter the bill for what arrived: receive the rest first.",
            where,
        )
    if not isinstance(goods.unit_cost, int) or not 0 <= goods.unit_cost <= MAX_UNIT_COST:
        raise PayablesError("Enter the unit cost, like 12.50.", goods_field(line.id, "unit_cost"))
    flags = []
    if goods.quantity != proposed.to_bill:  # fewer (more is refused above)
        flags.append(
            Flag(where, f"{proposed.to_bill} received and not yet billed; this bills fewer.")
        )
    if goods.quantity and goods.unit_cost != line.unit_cost:
        flags.append(
            Flag(
                goods_field(line.id, "unit_cost"),
                f"The purchase order says {money(line.unit_cost)}; the difference, "
                f"{money(goods.quantity * (goods.unit_cost - line.unit_cost))}, "
                "goes to purchase price variance.",
            )
        )
    return flags


def _check_charge(index: int, charge: Charge) -> None:
    if not isinstance(charge.amount, int) or not 0 <= charge.amount <= MAX_UNIT_COST:
        raise PayablesError("Enter the amount, like 25.00.", charge_field(index, "amount"))
    if not charge.amount:
        return
    if charge.account_id not in {a.id for a in expense_accounts()}:
        raise PayablesError(
            "Choose the expense account for this charge.", charge_field(index, "account")
        )
    if not (charge.description or "").strip():
        raise PayablesError(
            "Say what the charge is, like Freight.", charge_field(index, "description")
        )


# --- entering and posting ----------------------------------------------------------


def enter_bill(*, po: PurchaseOrder, draft: Draft, user) -> m.SupplierBill:
    """Save the bill and post it, under the purchase order's lock: two bills of the same
    receipts at once cannot bill a unit twice."""
    po = locks.lock_purchase_order(po.id)
    if po is None:
        raise PayablesError("That purchase order no longer exists.")
    checked = check(po, draft)
    bill = m.SupplierBill(
        supplier_id=po.supplier_id, purchase_order_id=po.id,
        invoice_number=draft.invoice_number.strip(), bill_date=draft.bill_date,
        due_date=checked.due_date, status=m.OPEN, total=checked.total, amount_paid=0,
        note=(draft.note or "").strip(), user_id=getattr(user, "id", None),
    )  # fmt: skip
    po_lines = {line.id: line for line in po.lines}
    for goods in draft.goods:
        if goods.quantity:
            line = po_lines[goods.po_line_id]
            bill.lines.append(
                m.SupplierBillLine(
                    po_line_id=line.id,
                    description=f"{line.variant.sku} {line.variant.full_name}",
                    quantity=goods.quantity,
                    unit_cost=goods.unit_cost,
                    po_unit_cost=line.unit_cost,
                )  # fmt: skip
            )
    for charge in draft.charges:
        if charge.amount:
            bill.lines.append(
                m.SupplierBillLine(
                    account_id=charge.account_id,
                    description=charge.description.strip()[:200],
                    quantity=1,
                    unit_cost=charge.amount,
                )  # fmt: skip
            )
    for component in TAX_COMPONENTS:
        if draft.taxes.get(component):
            bill.taxes.append(m.SupplierBillTax(component=component, amount=draft.taxes[component]))
    _save(bill, po)
    bill.entry = _post(bill, po, user)
    db.session.flush()
    return bill


def _save(bill: m.SupplierBill, po: PurchaseOrder) -> None:
    """Insert the bill; the same invoice number entered a moment ago on another of the
    supplier's purchase orders (another lock) is caught by the unique index, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(bill)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise PayablesError(
            f"{po.supplier.name}'s invoice {bill.invoice_number} was entered a moment ago.",
            "invoice_number",
        ) from None


def _post(bill: m.SupplierBill, po: PurchaseOrder, user):
    goods = [line for line in bill.lines if line.po_line_id is not None]
    at_po_cost = sum(line.quantity * line.po_unit_cost for line in goods)
    variance = sum(line.variance for line in goods)
    lines = [books.Line(chart.RECEIVED_NOT_BILLED, debit=at_po_cost, memo=po.number)]
    lines.append(
        books.Line(chart.PRICE_VARIANCE, debit=max(variance, 0), credit=max(-variance, 0),
                   memo=f"Bill price vs {po.number}")
    )  # fmt: skip
    for line in bill.lines:
        if line.account_id is not None:
            lines.append(books.Line(line.account.code, debit=line.amount, memo=line.description))
    for tax in bill.taxes:
        role = chart.itc_role(tax.component)
        if tax.component not in chart.RECOVERABLE_TAXES:
            role = chart.TAX_EXPENSE
        lines.append(books.Line(role, debit=tax.amount, memo=f"{tax.component} paid"))
    lines.append(
        books.Line(
            chart.PAYABLE, credit=bill.total, memo=f"{bill.supplier.name} {bill.invoice_number}"
        )
    )
    return books.post_entry(
        source_type=SOURCE, source_key=f"bill:{bill.id}", on=bill.bill_date,
        description=f"Bill {bill.invoice_number} from {bill.supplier.name} on {po.number}",
        lines=lines, user=user,
    )  # fmt: skip


def void_bill(*, bill: m.SupplierBill, user) -> m.SupplierBill:
    """Undo an unpaid bill with a reversing entry; its units can be billed again."""
    bill = _locked(bill.id)
    if bill.status == m.VOID:
        raise PayablesError(f"Bill {bill.invoice_number} is already void.")
    if bill.amount_paid:
        raise PayablesError(
            f"Bill {bill.invoice_number} has payments; only an unpaid bill can be voided."
        )
    original = bill.entry
    bill.status = m.VOID
    bill.pay_on = None
    if original is not None:
        bill.void_entry = books.post_entry(
            source_type=VOID_SOURCE, source_key=f"bill:{bill.id}:void", on=store_today(),
            description=f"Void of bill {bill.invoice_number} from {bill.supplier.name}",
            lines=[
                books.Line(x.account.code, debit=x.credit, credit=x.debit, memo=x.memo)
                for x in original.lines
            ],
            user=user,
        )  # fmt: skip
    db.session.flush()
    return bill


def _locked(bill_id: int) -> m.SupplierBill:
    bill = locks.lock_supplier_bill(bill_id)
    if bill is None:
        raise PayablesError("That bill no longer exists.")
    return bill


# --- reading -----------------------------------------------------------------------


def bill(bill_id: int) -> m.SupplierBill | None:
    return db.session.scalar(
        sa.select(m.SupplierBill)
        .where(m.SupplierBill.id == bill_id)
        .options(
            selectinload(m.SupplierBill.lines).selectinload(m.SupplierBillLine.account),
            selectinload(m.SupplierBill.taxes),
            selectinload(m.SupplierBill.payments),
            selectinload(m.SupplierBill.supplier),
            selectinload(m.SupplierBill.purchase_order),
        )
    )


def bills_of(po: PurchaseOrder) -> list[m.SupplierBill]:
    return list(
        db.session.scalars(
            sa.select(m.SupplierBill)
            .where(m.SupplierBill.purchase_order_id == po.id)
            .order_by(m.SupplierBill.id)
        )
    )


def bill_list(*, supplier_id=None, status=None, age=None, today: date, page: int = 1):
    """Bills, unpaid first and newest first; by supplier, status ("unpaid": open or partly
    paid) and how long past due (shop.payables.aging's buckets; unpaid bills only)."""
    unpaid_first = sa.case((m.SupplierBill.status.in_(m.UNPAID), 0), else_=1)
    query = (
        sa.select(m.SupplierBill)
        .options(selectinload(m.SupplierBill.supplier), selectinload(m.SupplierBill.purchase_order))
        .order_by(unpaid_first, m.SupplierBill.bill_date.desc(), m.SupplierBill.id.desc())
    )
    if supplier_id is not None:
        query = query.where(m.SupplierBill.supplier_id == supplier_id)
    if status == "unpaid" or (age in aging.KEYS and status not in m.STATUS_LABELS):
        query = query.where(m.SupplierBill.status.in_(m.UNPAID))
    elif status in m.STATUS_LABELS:
        query = query.where(m.SupplierBill.status == status)
    if age in aging.KEYS:
        query = query.where(*aging.due_between(age, today))
    return db.paginate(query, page=page, per_page=50, max_per_page=50, error_out=False)
