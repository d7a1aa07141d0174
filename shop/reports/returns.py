"""The returns report: what customers sent back, by product and by reason, over a period.

A request counts in the period it was asked in (its RMA's date), whatever became of it:
units asked include requests refused or still waiting, so the owner sees what customers
asked as well as what came back. Received units are what staff counted when the parcel
was opened; refunded is the goods' price given back for them (before tax and shipping,
after any restocking fee), from refunds that have not failed.
"""

import sqlalchemy as sa

from shop.catalogue.models import Product, Variant
from shop.extensions import db
from shop.orders.models import OrderLine
from shop.refunds import status as refund_status
from shop.refunds.models import Refund, RefundLine
from shop.reports.filters import ReportFilters, category_and_below
from shop.reports.tables import INTEGER, MONEY, TEXT, Column, Table
from shop.returns import status as return_status
from shop.returns.models import ReturnLine, ReturnRequest

FIGURES = [
    Column("asked", "Units asked", INTEGER),
    Column("resellable", "Received resellable", INTEGER),
    Column("damaged", "Received damaged", INTEGER),
    Column("refunded", "Refunded (goods, before tax)", MONEY),
]
GROUPS = {"product": "Product", "reason": "Reason"}


def _refunded_per_return_line():
    """Goods refunded per (return request, order line): refunds of the request not failed."""
    return (
        sa.select(
            Refund.return_id.label("return_id"),
            RefundLine.order_line_id.label("order_line_id"),
            sa.func.sum(RefundLine.amount).label("amount"),
        )
        .join(RefundLine, RefundLine.refund_id == Refund.id)
        .where(Refund.return_id.is_not(None), Refund.status != refund_status.FAILED)
        .group_by(Refund.return_id, RefundLine.order_line_id)
        .subquery()
    )


def returns_by(group: str, filters: ReportFilters) -> Table:
    """Returns of the period grouped by product or by reason, the most units asked first."""
    start, end = filters.period.utc_bounds()
    refunded = _refunded_per_return_line()
    key = Product.name if group == "product" else ReturnLine.reason
    query = (
        sa.select(
            key.label("key"),
            sa.func.sum(ReturnLine.quantity),
            sa.func.sum(ReturnLine.quantity_resellable),
            sa.func.sum(ReturnLine.quantity_damaged),
            sa.func.coalesce(sa.func.sum(refunded.c.amount), 0),
        )
        .select_from(ReturnLine)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(
            refunded,
            sa.and_(
                refunded.c.return_id == ReturnLine.return_id,
                refunded.c.order_line_id == ReturnLine.order_line_id,
            ),
        )
        .where(ReturnRequest.created_at >= start, ReturnRequest.created_at < end)
        .group_by(key)
        .order_by(sa.func.sum(ReturnLine.quantity).desc(), key)
    )
    if filters.category_id:
        query = query.where(Product.category_id.in_(category_and_below(filters.category_id)))
    rows = []
    for name, asked, resellable, damaged, amount in db.session.execute(query):
        label = return_status.REASONS.get(name, name) if group == "reason" else name
        rows.append({
            "label": label, "asked": int(asked), "resellable": int(resellable),
            "damaged": int(damaged), "refunded": int(amount),
        })  # fmt: skip
    totals = {"label": "Total"} | {c.key: sum(r[c.key] for r in rows) for c in FIGURES}
    return Table([Column("label", GROUPS[group], TEXT), *FIGURES], rows, totals)
