"""The demo's purchasing: two received purchase orders through the real services, one
waiting for its bill, one billed (with a price difference, GST and PST) and partly paid,
so the bills, to-pay and aging pages have something to show in `make run`."""

from datetime import timedelta

import sqlalchemy as sa

from shop.backorders import purchase_orders
from shop.clock import store_today
from shop.db import utcnow
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.payables import bills, payments
from shop.payables import models as m
from shop.purchasing import services as purchasing
from shop.purchasing import status as st

UNITS = 12


def _received_po(supplier, note: str):
    """Two of the supplier's variants ordered at their catalogue cost and all received.
    Sent without an email (the demo's outbox stays empty), then received as staff would."""
    stock = db.session.scalars(
        sa.select(StockLevel)
        .where(StockLevel.supplier_id == supplier.id)
        .order_by(StockLevel.variant_id)
        .limit(2)
    ).all()
    po = purchasing.create_purchase_order(supplier_id=supplier.id, user=None, note=note)
    for row in stock:
        purchasing.add_line(po=po, sku=row.variant.sku, quantity=UNITS, unit_cost=row.variant.cost)
    po.status, po.sent_at = st.SENT, utcnow()
    po.expected_date = store_today()
    db.session.flush()
    purchase_orders.receive_purchase_order(
        po=po, quantities={line.id: line.quantity for line in po.lines}, user=None
    )
    return po


def seed_bills(unbilled_supplier, billed_supplier) -> None:
    _received_po(unbilled_supplier, "Restock; the supplier's invoice has not come yet.")
    po = _received_po(billed_supplier, "Restock, billed and partly paid.")
    today = store_today()
    bill_date = today - timedelta(days=45)  # Net 30: 15 days past due
    goods = [
        bills.Goods(line.id, line.quantity, line.unit_cost + (25 if i == 0 else 0))
        for i, line in enumerate(po.lines)
    ]  # the first line billed 25 cents a unit over the PO: a price variance
    subtotal = sum(g.quantity * g.unit_cost for g in goods)
    taxes = bills.expected_tax(billed_supplier, subtotal)
    bill = bills.enter_bill(
        po=po,
        draft=bills.Draft(f"{billed_supplier.name[:3].upper()}-20417", bill_date, goods=goods,
                          taxes=taxes),
        user=None,
    )  # fmt: skip
    payments.record_payment(
        bill=bill, paid_on=today - timedelta(days=10), method=m.CHEQUE, reference="000318",
        amount=bill.total // 2, user=None,
    )  # fmt: skip
