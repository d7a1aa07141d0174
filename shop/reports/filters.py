"""What every sales report is narrowed by: the period, a category (with the categories
under it) and the channel; and the orders and lines that count as sales."""

from dataclasses import dataclass

import sqlalchemy as sa

from shop.catalogue.models import Category, Product, Variant
from shop.extensions import db
from shop.orders import status as order_status
from shop.orders.models import Order, OrderLine
from shop.reports.periods import Period

# An order is a sale once paid, until it is cancelled (which issues a credit note).
SOLD = (order_status.PAID, order_status.PARTIALLY_SHIPPED, order_status.SHIPPED)
CHANNELS = {"web": "Web store", "counter": "Counter"}


@dataclass(frozen=True)
class ReportFilters:
    period: Period
    category_id: int | None = None
    channel: str | None = None

    def for_period(self, period: Period) -> "ReportFilters":
        return ReportFilters(period, self.category_id, self.channel)


def category_and_below(category_id: int) -> list[int]:
    """The category and every category under it (the tree is small: read it whole)."""
    parents = dict(db.session.execute(sa.select(Category.id, Category.parent_id)).all())
    found, frontier = {category_id}, {category_id}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


def category_paths() -> dict[int, str]:
    """Each category named with its parents ("Women › Jackets"): names repeat in a tree."""
    rows = db.session.execute(sa.select(Category.id, Category.parent_id, Category.name)).all()
    parents = {id_: parent for id_, parent, _ in rows}
    names = {id_: name for id_, _, name in rows}

    def path(id_: int) -> str:
        parent = parents.get(id_)
        return f"{path(parent)} \u203a {names[id_]}" if parent in names else names[id_]

    return {id_: path(id_) for id_ in names}


def sold_orders_where(filters: ReportFilters, period: Period | None = None) -> list:
    """Conditions on Order for the sales of a period (the filters' own when not given)."""
    start, end = (period or filters.period).utc_bounds()
    conditions = [Order.status.in_(SOLD), Order.paid_at >= start, Order.paid_at < end]
    if filters.channel:
        conditions.append(Order.channel == filters.channel)
    return conditions


def sold_lines(
    filters: ReportFilters, *columns, period: Period | None = None, with_product: bool = False
) -> sa.Select:
    """SELECT columns FROM order lines of the period's sales, joined to their order (and to
    variant and product when asked or when a category is chosen)."""
    query = (
        sa.select(*columns)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(*sold_orders_where(filters, period))
    )
    if with_product or filters.category_id:
        query = query.join(Variant, Variant.id == OrderLine.variant_id).join(
            Product, Product.id == Variant.product_id
        )
    if filters.category_id:
        query = query.where(Product.category_id.in_(category_and_below(filters.category_id)))
    return query
