"""Refunds and returns in the owner's sales and margin reports, as negatives.

The rule (shop.reports.sales sums orders by the day they were paid; this module says
what comes off, and when):

- A refund (status pending or succeeded; a failed one gave nothing back) reduces net
  sales in the period it was decided (Refund.created_at, the day of its credit note),
  not in the period of the sale: a report already read is never rewritten by a later
  refund. What comes off is the goods given back (its refund lines' amounts, before tax),
  less the restocking fee kept (shared over the refund's lines in proportion to their
  amounts, to the cent, so the per-product rows add up to the headline figure). Shipping
  and tax given back are not sales of goods and do not count here (the shipping report
  and the books have them).
- Units: a refund line's units come off the period's units sold.
- Cost of goods: units that never left (a cancellation refund: the backordered rest, or
  lines cancelled before packing) come off the cost of goods in the refund's period, and
  returned units received back as resellable come off it in the period the return was
  received (ReturnRequest.received_at), both at the order line's frozen unit cost, since
  they went back to stock at that cost. Units returned damaged stay in the cost of
  goods: they were scrapped, so the margin on them is lost. (The books credit cost of
  goods sold for every unit received back and post the damaged ones to shrinkage; the
  owner's margin keeps the loss with the sale that caused it.)
- Only orders that still count as sales (filters.SOLD): a cancelled order has already
  left the reports whole, with its refunds.

Refunds are few next to sales, so they are read as rows and added up here, with the
category and channel filters applied like the sales'.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from shop.catalogue.models import Product, Variant
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.refunds import status as refund_status
from shop.refunds.models import Refund, RefundLine
from shop.reports.filters import SOLD, ReportFilters, category_and_below
from shop.reports.periods import Period
from shop.returns.models import ReturnLine, ReturnRequest
from shop.tax.calculations import apportion

COUNTED = (refund_status.PENDING, refund_status.SUCCEEDED)


@dataclass(frozen=True)
class Adjustment:
    """What comes off one order line's figures at one moment: all amounts are >= 0 and
    are subtracted."""

    when: datetime
    order_id: int
    variant_id: int
    product_id: int
    category_id: int | None
    province: str  # "CA-ON", as the sales' province key
    channel: str
    revenue: int
    cost: int
    units: int


def _columns():
    return (
        Order.id.label("order_id"),
        OrderLine.variant_id,
        OrderLine.unit_cost,
        Product.id.label("product_id"),
        Product.category_id,
        (Order.ship_country + "-" + Order.ship_province).label("province"),
        Order.channel,
    )


def _narrowed(query: sa.Select, filters: ReportFilters) -> sa.Select:
    query = (
        query.join(Order, Order.id == OrderLine.order_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(Order.status.in_(SOLD))
    )
    if filters.channel:
        query = query.where(Order.channel == filters.channel)
    if filters.category_id:
        query = query.where(Product.category_id.in_(category_and_below(filters.category_id)))
    return query


def adjustments(filters: ReportFilters, period: Period | None = None) -> list[Adjustment]:
    """Everything refunds and returns take off the period's sales (see the module)."""
    start, end = (period or filters.period).utc_bounds()
    return _refunded(filters, start, end) + _restocked(filters, start, end)


def _refunded(filters: ReportFilters, start, end) -> list[Adjustment]:
    query = _narrowed(
        sa.select(
            *_columns(),
            Refund.id.label("refund_id"),
            Refund.created_at,
            Refund.reason,
            Refund.restocking_fee,
            RefundLine.id.label("refund_line_id"),
            RefundLine.quantity,
            RefundLine.amount,
        )
        .select_from(RefundLine)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id),
        filters,
    ).where(Refund.status.in_(COUNTED), Refund.created_at >= start, Refund.created_at < end)
    rows = db.session.execute(query.order_by(Refund.id, RefundLine.id)).all()
    by_refund: dict[int, list] = {}
    for row in rows:
        by_refund.setdefault(row.refund_id, []).append(row)
    # A fee is shared over all the refund's lines, also those another filter leaves out.
    amounts = _all_line_amounts(list(by_refund))
    found = []
    for refund_id, lines in by_refund.items():
        every = amounts[refund_id]
        fee_shares = dict(
            zip(every, apportion(lines[0].restocking_fee, list(every.values())), strict=True)
        )
        for row in lines:
            never_left = row.reason == refund_status.CANCELLATION
            found.append(
                Adjustment(
                    when=row.created_at,
                    order_id=row.order_id,
                    variant_id=row.variant_id,
                    product_id=row.product_id,
                    category_id=row.category_id,
                    province=row.province,
                    channel=row.channel,
                    revenue=row.amount - fee_shares[row.refund_line_id],
                    cost=row.quantity * row.unit_cost if never_left else 0,
                    units=row.quantity,
                )  # fmt: skip
            )
    return found


def _all_line_amounts(refund_ids: list[int]) -> dict[int, dict[int, int]]:
    """{refund id: {refund line id: amount}} of every line of these refunds, by id."""
    found: dict[int, dict[int, int]] = {i: {} for i in refund_ids}
    if not refund_ids:
        return found
    rows = db.session.execute(
        sa.select(RefundLine.refund_id, RefundLine.id, RefundLine.amount)
        .where(RefundLine.refund_id.in_(refund_ids))
        .order_by(RefundLine.id)
    )
    for refund_id, line_id, amount in rows:
        found[refund_id][line_id] = amount
    return found


def _restocked(filters: ReportFilters, start, end) -> list[Adjustment]:
    query = _narrowed(
        sa.select(*_columns(), ReturnRequest.received_at, ReturnLine.quantity_resellable)
        .select_from(ReturnLine)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id),
        filters,
    ).where(
        ReturnLine.quantity_resellable > 0,
        ReturnRequest.received_at >= start,
        ReturnRequest.received_at < end,
    )
    return [
        Adjustment(
            when=row.received_at,
            order_id=row.order_id,
            variant_id=row.variant_id,
            product_id=row.product_id,
            category_id=row.category_id,
            province=row.province,
            channel=row.channel,
            revenue=0,
            cost=row.quantity_resellable * row.unit_cost,
            units=0,
        )  # fmt: skip
        for row in db.session.execute(query.order_by(ReturnLine.id))
    ]


def group_key(adjustment: Adjustment, group: str) -> str:
    """The key of the sales row (shop.reports.sales) an adjustment comes off."""
    if group == "province":
        return adjustment.province
    if group == "channel":
        return adjustment.channel
    if group == "variant":
        return str(adjustment.variant_id)
    if group == "product":
        return str(adjustment.product_id)
    if group == "category":
        return str(adjustment.category_id)
    raise ValueError(f"unknown group {group!r}")
