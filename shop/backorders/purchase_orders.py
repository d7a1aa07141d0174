"""The purchase-order use cases that move the backorders waiting for its goods: re-dating,
sending, cancelling and receiving a purchase order.

Each is one transaction (it flushes, the caller commits). Receiving is the big one: stock
in (a RECEIPT movement per line), inventory / goods received not billed in the books, and
the received units allocated to the oldest paid backorders, whose customers are told.
Orders are locked before purchase orders (shop.locks).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.backorders import queue as backorders
from shop.backorders import repromise
from shop.clock import store_today
from shop.db import utcnow
from shop.extensions import db
from shop.inventory import reasons, valuation
from shop.inventory.services import record_movement
from shop.notifications.services import queue_email
from shop.purchasing import po_files
from shop.purchasing import services as purchasing
from shop.purchasing import status as st
from shop.purchasing.errors import PurchasingError
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine


def edit_purchase_order(
    *, po: PurchaseOrder, expected_date: date | None, note: str, user=None
) -> list:
    """The expected date and note; a sent order's date may change when the supplier says so,
    and the ship dates of the backorders it covers move with it: their customers are told
    when theirs moved later (shop.backorders.repromise). Returns who was told."""
    if po.status in st.OPEN:  # orders before purchase orders (shop.locks)
        backorders.lock_queue(line.variant_id for line in po.lines)
    po = purchasing.lock_for_change(po.id)
    if po.status not in (st.DRAFT, *st.OPEN):
        raise PurchasingError(f"{po.number} is {st.LABELS[po.status].lower()}; it cannot change.")
    purchasing.check_expected(expected_date)
    po.expected_date = expected_date
    po.note = (note or "").strip()
    db.session.flush()
    if po.status not in st.OPEN:
        return []
    return repromise.replan_and_tell(
        (line.variant_id for line in po.lines), why=repromise.SUPPLIER_LATER, user=user
    )


def send_purchase_order(*, po: PurchaseOrder, user) -> PurchaseOrder:
    """Sent: the supplier gets the order by email (through the outbox) with the PO as a PDF,
    and its goods count as on order; the backorders it covers take its expected date."""
    po = purchasing.lock_for_change(po.id)
    if po.status != st.DRAFT:
        raise PurchasingError(f"{po.number} is {st.LABELS[po.status].lower()}, not a draft.")
    if not po.lines:
        raise PurchasingError(f"Add at least one line to {po.number} before sending it.")
    supplier = po.supplier
    if not supplier.email:
        raise PurchasingError(
            f"{supplier.name} has no email address; add one to the supplier first."
        )
    purchasing.transition(po, st.SENT)
    po.sent_at = utcnow()
    if po.expected_date is None:
        po.expected_date = store_today() + timedelta(days=supplier.lead_time_days)
    db.session.flush()
    queue_email(
        to=supplier.email,
        subject=f"Purchase order {po.number} from {current_app.config['STORE_NAME']}",
        kind="purchase_order",
        po=po,
        supplier=supplier,
        total=purchasing.total_of(po),
        attachments=[(f"{po.number}.pdf", po_files.PDF, po_files.purchase_order_pdf(po))],
    )
    backorders.replan(line.variant_id for line in po.lines)
    return po


def cancel_purchase_order(*, po: PurchaseOrder, user) -> PurchaseOrder:
    """Withdrawn; from a partly received order, what has not come will not come.
    The backorders it covered go back to the supplier lead time (or another order), and
    the customers whose date moved later are told (shop.backorders.repromise)."""
    variant_ids = [line.variant_id for line in po.lines]
    backorders.lock_queue(variant_ids)  # orders before purchase orders (shop.locks)
    po = purchasing.lock_for_change(po.id)
    purchasing.transition(po, st.CANCELLED)
    db.session.flush()
    repromise.replan_and_tell(
        (line.variant_id for line in po.lines), why=repromise.ORDER_CANCELLED, user=user
    )
    return po


@dataclass
class Receipt:
    po: PurchaseOrder
    units: int
    entry: object | None  # the journal entry (None when the goods cost nothing)
    allocated: list = field(default_factory=list)  # backorders.Allocated, per order

    @property
    def orders(self) -> list[str]:
        return [a.order.number for a in self.allocated]


def receive_purchase_order(
    *, po: PurchaseOrder, quantities: dict, user, allow_over: bool = False
) -> Receipt:
    """Goods arrived: stock in, inventory / goods received not billed, backorders allocated.

    quantities: {purchase-order line id: units arrived}; lines left out or 0 did
    not arrive this time. More than is still to come is refused unless
    allow_over (the supplier sent extra and the store keeps it).
    """
    # Orders come before purchase orders (shop.locks): the backorders this delivery may
    # serve are locked first, found from the lines, which do not change once it is sent.
    expected = set(
        db.session.scalars(
            sa.select(PurchaseOrderLine.variant_id).where(
                PurchaseOrderLine.purchase_order_id == po.id
            )
        )
    )
    queue = backorders.lock_queue(expected)
    po = purchasing.lock_for_change(po.id)
    if po.status not in st.OPEN:
        raise PurchasingError(
            f"{po.number} is {st.LABELS[po.status].lower()}; only a sent order can be received."
        )
    if po.currency != current_app.config["BASE_CURRENCY"]:
        raise PurchasingError(f"{po.number} is in {po.currency}; it cannot be posted.")
    arrived = purchasing.check_quantities(po, quantities, allow_over)
    variant_ids = sorted({line.variant_id for line, _ in arrived})
    if not set(variant_ids) <= expected:  # a draft's lines changed just before it was sent
        raise PurchasingError(f"{po.number} changed a moment ago; please receive it again.")
    queue = [line for line in queue if line.variant_id in variant_ids]
    locks.lock_stock_rows(variant_ids)
    number = purchasing.receipt_number(po)
    for line, units in arrived:
        record_movement(
            variant_id=line.variant_id, quantity=units, reason=reasons.RECEIPT,
            reference=po.number, note=f"Receipt {number} of {po.number}", user=user,
            unit_cost=line.unit_cost, post=False,  # at what the shop paid; one entry below
        )  # fmt: skip
        line.quantity_received += units
    for variant_id in variant_ids:
        valuation.follow_average(variant_id)
    done = all(line.quantity_received >= line.quantity for line in po.lines)
    purchasing.transition(po, st.RECEIVED if done else st.PARTIALLY_RECEIVED)
    db.session.flush()
    entry = purchasing.post_receipt(po, arrived, number, user)
    allocated = backorders.allocate_queue(queue, reference=po.number, user=user)
    backorders.replan(variant_ids)
    return Receipt(po, sum(units for _, units in arrived), entry, allocated)
