"""Shared steps for supplier-bill tests: a received purchase order, a bill as typed."""

from shop.backorders import purchase_orders
from shop.clock import store_today
from shop.extensions import db
from shop.payables import bills
from tests.integration.purchasing_helpers import backordered_item, sent_po


def received_po(classes, *, quantity=10, unit_cost=1200, received=None, province="AB", sku=None):
    """A purchase order of one variant, sent and received (all of it unless `received`),
    from a supplier charging tax from `province`; committed."""
    variant = backordered_item(classes, name=f"Item {sku or 'A'}", sku=sku or "ITEM-A")
    variant.stock.supplier.province = province
    po = sent_po(variant, quantity, unit_cost=unit_cost)
    purchase_orders.receive_purchase_order(
        po=po, quantities={po.lines[0].id: received or quantity}, user=None
    )
    db.session.commit()
    return po


def draft(po, number="INV-1", *, quantity=None, unit_cost=None, taxes=None, charges=(), **kw):
    """A bill of the PO's one line as the bookkeeper types it (the proposal unless told)."""
    [proposed] = bills.proposal(po)
    line = proposed.line
    goods = [
        bills.Goods(
            line.id,
            proposed.to_bill if quantity is None else quantity,
            line.unit_cost if unit_cost is None else unit_cost,
        )
    ]
    return bills.Draft(
        invoice_number=number,
        bill_date=kw.pop("bill_date", store_today()),
        goods=goods,
        charges=list(charges),
        taxes=taxes or {},
        **kw,
    )


def enter(po, *args, user=None, **kwargs):
    bill = bills.enter_bill(po=po, draft=draft(po, *args, **kwargs), user=user)
    db.session.commit()
    return bill
