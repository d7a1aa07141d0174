"""Suppliers and purchase orders: write, send, receive, cancel.

Each public use case flushes but never commits; the caller commits once, so all of it
happens or none of it. Sending, re-dating, cancelling and receiving a purchase order also
move the backorders waiting for its goods, so those four use cases live above the orders,
in shop.backorders.purchase_orders; the helpers they share (lock_for_change, transition,
check_expected, check_quantities, receipt_number, post_receipt) are here.
"""

import secrets
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import clock, locks
from shop.accounting import chart
from shop.accounting import services as books
from shop.catalogue.models import Variant
from shop.clock import store_today
from shop.db import utcnow
from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.models import StockMovement
from shop.inventory.services import MAX_MOVEMENT
from shop.purchasing import status as st
from shop.purchasing.errors import PurchasingError
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from shop.tax.data import CANADA_STANDARD_RATES

MAX_LEAD_DAYS = 365
MAX_UNIT_COST = 10**9  # ten million dollars a unit: anything above is a typing mistake
RECEIPT_SOURCE = "po_receipt"


# --- suppliers -----------------------------------------------------------------------


def save_supplier(
    *, supplier: Supplier | None = None, name: str, email: str | None, phone: str | None = None,
    contact_name: str | None = None, lead_time_days: int, currency: str,
    payment_terms_days: int = 30, province: str | None = None,
) -> Supplier:  # fmt: skip
    """Create a supplier (supplier=None) or change one."""
    name = (name or "").strip()
    if not name:
        raise PurchasingError("Enter the supplier's name.", field="name")
    clash = db.session.scalar(
        sa.select(Supplier.id).where(sa.func.lower(Supplier.name) == name.lower())
    )
    if clash is not None and (supplier is None or clash != supplier.id):
        raise PurchasingError(f"There is already a supplier called {name}.", field="name")
    if not isinstance(lead_time_days, int) or not 0 <= lead_time_days <= MAX_LEAD_DAYS:
        raise PurchasingError(
            f"Enter a lead time from 0 to {MAX_LEAD_DAYS} days.", field="lead_time_days"
        )
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise PurchasingError("Enter a three-letter currency code, like CAD.", field="currency")
    if not isinstance(payment_terms_days, int) or not 0 <= payment_terms_days <= MAX_LEAD_DAYS:
        raise PurchasingError(
            f"Enter payment terms from 0 to {MAX_LEAD_DAYS} days.", field="payment_terms_days"
        )
    province = (province or "").strip().upper() or None
    if province is not None and province not in CANADA_STANDARD_RATES:
        raise PurchasingError("Enter a Canadian province code, like ON.", field="province")
    if supplier is None:
        supplier = Supplier(name=name)
        db.session.add(supplier)
    supplier.name = name
    supplier.email = (email or "").strip() or None
    supplier.phone = (phone or "").strip() or None
    supplier.contact_name = (contact_name or "").strip() or None
    supplier.lead_time_days = lead_time_days
    supplier.currency = currency
    supplier.payment_terms_days = payment_terms_days
    supplier.province = province
    db.session.flush()
    return supplier


def suppliers() -> list[Supplier]:
    return list(db.session.scalars(sa.select(Supplier).order_by(Supplier.name)))


# --- writing a purchase order --------------------------------------------------------


def create_purchase_order(
    *, supplier_id: int, user, expected_date: date | None = None, note: str = ""
) -> PurchaseOrder:
    """A new draft purchase order to a supplier, numbered PO-000001 and on."""
    supplier = db.session.get(Supplier, supplier_id) if isinstance(supplier_id, int) else None
    if supplier is None:
        raise PurchasingError("Choose a supplier from the list.", field="supplier_id")
    base = current_app.config["BASE_CURRENCY"]
    if supplier.currency != base:
        # The books are kept in the base currency and a purchase order records no
        # exchange rate, so a receipt could not be posted at a known rate.
        raise PurchasingError(
            f"{supplier.name} invoices in {supplier.currency}; purchase orders are written in "
            f"{base} only, as the store does not record exchange rates for them yet.",
            field="supplier_id",
        )
    check_expected(expected_date)
    po = PurchaseOrder(
        number=f"T{secrets.token_hex(8)}",  # replaced by the real number once the id is known
        supplier=supplier,
        status=st.DRAFT,
        currency=supplier.currency,
        expected_date=expected_date,
        note=(note or "").strip(),
        user_id=getattr(user, "id", None),
        lines=[],
    )
    db.session.add(po)
    db.session.flush()
    po.number = f"PO-{po.id:06d}"
    db.session.flush()
    return po


def check_expected(expected: date | None, field_name: str = "expected_date") -> None:
    if expected is not None and expected < store_today() - timedelta(days=MAX_LEAD_DAYS):
        raise PurchasingError("Enter an expected date that is not long past.", field=field_name)


def _check_editable(po: PurchaseOrder) -> None:
    if po.status not in st.EDITABLE:
        raise PurchasingError(
            f"{po.number} is {st.LABELS[po.status].lower()}; only a draft's lines can change."
        )


def add_line(
    *, po: PurchaseOrder, sku: str, quantity: int, unit_cost: int,
    expected_date: date | None = None,
) -> PurchaseOrderLine:  # fmt: skip
    """Add a variant (found by SKU) to a draft purchase order."""
    _check_editable(po)
    sku = (sku or "").strip()
    variant = db.session.scalar(
        sa.select(Variant).where(sa.func.lower(Variant.sku) == sku.lower())
    ) if sku else None  # fmt: skip
    if variant is None:
        raise PurchasingError(f"No product has the SKU {sku!r}." if sku else "Enter a SKU.", "sku")
    if any(line.variant_id == variant.id for line in po.lines):
        raise PurchasingError(
            f"{variant.sku} is already on {po.number}; remove that line to change it.", "sku"
        )
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not (0 < quantity <= MAX_MOVEMENT)
    ):
        raise PurchasingError(f"Enter a quantity from 1 to {MAX_MOVEMENT:,}.", "quantity")
    if not isinstance(unit_cost, int) or not 0 <= unit_cost <= MAX_UNIT_COST:
        raise PurchasingError("Enter the unit cost, like 12.50.", "unit_cost")
    check_expected(expected_date)
    line = PurchaseOrderLine(
        variant=variant, quantity=quantity, unit_cost=unit_cost, expected_date=expected_date
    )
    po.lines.append(line)
    db.session.flush()
    return line


def remove_line(*, po: PurchaseOrder, line_id: int) -> None:
    _check_editable(po)
    line = next((ln for ln in po.lines if ln.id == line_id), None)
    if line is None:
        raise PurchasingError("That line is no longer on the purchase order.")
    po.lines.remove(line)
    db.session.flush()


def lock_for_change(po_id: int) -> PurchaseOrder:
    """The purchase order and its lines read afresh under its row lock: two changes queue."""
    po = locks.lock_purchase_order(po_id)
    if po is None:
        raise PurchasingError("That purchase order no longer exists.")
    return po


def transition(po: PurchaseOrder, new: str) -> None:
    st.check_transition(po.status, new)
    po.status = new


# --- receiving -----------------------------------------------------------------------


def line_field(line_id: int) -> str:
    """The name of a line's quantity on the receiving form (errors go beside it)."""
    return f"line_{line_id}"


def check_quantities(po: PurchaseOrder, quantities: dict, allow_over: bool):
    by_id = {line.id: line for line in po.lines}
    if not isinstance(quantities, dict) or any(key not in by_id for key in quantities):
        raise PurchasingError("Those lines are not on this purchase order; reload the page.")
    arrived = []
    for line in po.lines:
        units = quantities.get(line.id, 0)
        where = line_field(line.id)
        if units is None:
            units = 0
        if not isinstance(units, int) or isinstance(units, bool):
            raise PurchasingError("Enter a whole number of units, like 5.", where)
        if units < 0:
            raise PurchasingError(
                "Enter the units that arrived (0 or more); to send goods back, adjust the stock.",
                where,
            )
        if units > line.outstanding and not allow_over:
            raise PurchasingError(
                f"{line.variant.sku}: {line.outstanding} still to come ({line.quantity} ordered, "
                f'{line.quantity_received} received); {units} is more. Tick "receive more than '
                'ordered" to keep the extra units.',
                where,
            )
        if line.quantity_received + units > MAX_MOVEMENT:
            raise PurchasingError(f"Enter at most {MAX_MOVEMENT:,} units.", where)
        if units:
            arrived.append((line, units))
    if not arrived:
        raise PurchasingError("Enter how many units arrived on at least one line.")
    return arrived


def receipt_number(po: PurchaseOrder) -> int:
    """1 for the first delivery of a purchase order, 2 for the next (read under its lock)."""
    return 1 + db.session.scalar(
        sa.select(sa.func.count(sa.distinct(StockMovement.note))).where(
            StockMovement.reference == po.number, StockMovement.reason == reasons.RECEIPT
        )
    )


def post_receipt(po: PurchaseOrder, arrived, number: int, user):
    """Inventory / goods received not billed, at the purchase order's unit costs: accounts
    payable follows when the supplier's bill is entered."""
    total = sum(line.unit_cost * units for line, units in arrived)
    if not total:
        return None
    return books.post_entry(
        source_type=RECEIPT_SOURCE,
        source_key=f"receipt:{po.number}:{number}",
        on=clock.store_date(utcnow()),
        description=f"Goods received on {po.number} from {po.supplier.name} (receipt {number})",
        lines=[
            books.Line(chart.INVENTORY, debit=total, memo=po.number),
            books.Line(chart.RECEIVED_NOT_BILLED, credit=total, memo=po.supplier.name),
        ],
        user=user,
    )


# --- reading -------------------------------------------------------------------------


def purchase_orders(*, status: str | None = None, page: int = 1, per_page: int = 50):
    from sqlalchemy.orm import selectinload

    query = (
        sa.select(PurchaseOrder)
        .options(selectinload(PurchaseOrder.supplier), selectinload(PurchaseOrder.lines))
        .order_by(PurchaseOrder.id.desc())
    )
    if status in st.LABELS:
        query = query.where(PurchaseOrder.status == status)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def purchase_order(po_id: int) -> PurchaseOrder | None:
    from sqlalchemy.orm import selectinload

    return db.session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.id == po_id)
        .options(
            selectinload(PurchaseOrder.supplier),
            selectinload(PurchaseOrder.lines)
            .selectinload(PurchaseOrderLine.variant)
            .selectinload(Variant.product),
        )
    )


def total_of(po: PurchaseOrder) -> int:
    return sum(line.quantity * line.unit_cost for line in po.lines)
