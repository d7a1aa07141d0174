"""The returns report: what customers sent back, by product and by reason, over a period.

A request counts in the period it was asked in (its RMA's date), whatever became of it:
units asked include requests refused or still waiting, so the owner sees what customers
asked as well as what came back. Received units are what staff counted when the parcel
was opened; refunded is the goods' price given back for them (before tax and shipping,
after any restocking fee), from refunds that have not failed.
"""

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.catalogue.models import Product, Variant
from shop.extensions import db
from shop.orders.models import OrderLine
from shop.refunds import status as refund_status
from shop.refunds.models import Refund
from shop.reports.filters import ReportFilters, category_and_below
from shop.reports.tables import INTEGER, MONEY, TEXT, Column, Table
from shop.returns import status as return_status
from shop.returns.models import ReturnLine, ReturnRequest
from shop.tax.calculations import round_half_up

FIGURES = [
    Column("asked", "Units asked", INTEGER),
    Column("resellable", "Received resellable", INTEGER),
    Column("damaged", "Received damaged", INTEGER),
    Column("refunded", "Refunded (goods less fees, before tax)", MONEY),
]
GROUPS = {"product": "Product", "reason": "Reason"}


def _refunded_goods(return_ids) -> dict[tuple[int, int], int]:
    """Goods given back per (return request, order line), after the restocking fee: each
    refund's fee is shared among its lines in proportion to their goods (the last line
    takes what rounding leaves). Refunds that failed do not count."""
    if not return_ids:
        return {}
    refunds = db.session.scalars(
        sa.select(Refund)
        .where(Refund.return_id.in_(sorted(return_ids)), Refund.status != refund_status.FAILED)
        .options(selectinload(Refund.lines))
    )
    found: dict[tuple[int, int], int] = defaultdict(int)
    for refund in refunds:
        goods = sum(line.amount for line in refund.lines)
        fee_left = refund.restocking_fee
        for n, line in enumerate(refund.lines):
            last = n == len(refund.lines) - 1
            fee = (
                fee_left
                if last
                else round_half_up(Decimal(refund.restocking_fee) * line.amount / goods)
            )
            fee_left -= fee
            found[(refund.return_id, line.order_line_id)] += line.amount - fee
    return found


def returns_by(group: str, filters: ReportFilters) -> Table:
    """Returns of the period grouped by product or by reason, the most units asked first."""
    start, end = filters.period.utc_bounds()
    query = (
        sa.select(
            ReturnLine.return_id, ReturnLine.order_line_id, Product.name, ReturnLine.reason,
            ReturnLine.quantity, ReturnLine.quantity_resellable, ReturnLine.quantity_damaged,
        )
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(ReturnRequest.created_at >= start, ReturnRequest.created_at < end)
    )  # fmt: skip
    if filters.category_id:
        query = query.where(Product.category_id.in_(category_and_below(filters.category_id)))
    found = db.session.execute(query).all()
    refunded = _refunded_goods({row.return_id for row in found})
    groups: dict[str, dict] = {}
    for row in found:
        label = (
            row.name if group == "product" else return_status.REASONS.get(row.reason, row.reason)
        )
        entry = groups.setdefault(
            label, {"label": label, "asked": 0, "resellable": 0, "damaged": 0, "refunded": 0}
        )
        entry["asked"] += row.quantity
        entry["resellable"] += row.quantity_resellable
        entry["damaged"] += row.quantity_damaged
        entry["refunded"] += refunded.get((row.return_id, row.order_line_id), 0)
    rows = sorted(groups.values(), key=lambda r: (-r["asked"], r["label"]))
    totals = {"label": "Total"} | {c.key: sum(r[c.key] for r in rows) for c in FIGURES}
    return Table([Column("label", GROUPS[group], TEXT), *FIGURES], rows, totals)
