"""Sales: the headline figures of a period, sales over time, and sales by product,
variant, category, province or channel, with gross margin. All computed in SQL.

Revenue is net sales of goods (order lines, before tax and shipping: the Sales account
in the books); cost is each line's unit cost when ordered times its quantity, so gross
margin = revenue - cost of goods at the time of sale.
"""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import url_for

from shop.catalogue.models import Category, Product, Variant
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.reports.filters import CHANNELS, SOLD, ReportFilters, category_paths, sold_lines
from shop.reports.periods import Period, as_date, local_bucket
from shop.reports.tables import INTEGER, MONEY, PERCENT, Column, Table, ratio

REVENUE = sa.func.coalesce(sa.func.sum(OrderLine.line_total), 0)
COST = sa.func.coalesce(sa.func.sum(OrderLine.unit_cost * OrderLine.quantity), 0)
UNITS = sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0)
ORDERS = sa.func.count(sa.distinct(OrderLine.order_id))
CUSTOMER = sa.func.lower(Order.email)  # a guest and an account with one email are one customer

GROUPS = {
    "product": "Product",
    "variant": "Variant",
    "category": "Category",
    "province": "Province",
    "channel": "Channel",
}
MARGIN_GROUPS = ("product", "category")
ROW_LIMIT = 200  # products and variants: the best sellers; the CSV has the same rows


@dataclass(frozen=True)
class Totals:
    revenue: int
    cost: int
    units: int
    orders: int
    new_customers: int
    returning_customers: int

    @property
    def margin(self) -> int:
        return self.revenue - self.cost

    @property
    def margin_rate(self) -> Decimal | None:
        return ratio(self.margin, self.revenue)

    @property
    def average_order(self) -> int:
        return self.revenue // self.orders if self.orders else 0

    @property
    def customers(self) -> int:
        return self.new_customers + self.returning_customers


def totals(filters: ReportFilters, period: Period | None = None) -> Totals:
    """Revenue, cost, units and orders of a period (two queries)."""
    revenue, cost, units, orders = db.session.execute(
        sold_lines(filters, REVENUE, COST, UNITS, ORDERS, period=period)
    ).one()
    new, returning = customers_new_and_returning(filters, period)
    return Totals(int(revenue), int(cost), int(units), orders, new, returning)


def customers_new_and_returning(filters: ReportFilters, period: Period | None = None):
    """Customers who bought in the period: those whose first purchase ever falls in it
    (new) and those who had bought before (returning)."""
    start, _ = (period or filters.period).utc_bounds()
    buyers = sold_lines(filters, CUSTOMER.label("customer"), period=period).distinct().subquery()
    first = (
        sa.select(CUSTOMER.label("customer"), sa.func.min(Order.paid_at).label("first_paid"))
        .where(Order.status.in_(SOLD), CUSTOMER.in_(sa.select(buyers.c.customer)))
        .group_by(CUSTOMER)
        .subquery()
    )
    new, everyone = db.session.execute(
        sa.select(sa.func.count().filter(first.c.first_paid >= start), sa.func.count())
    ).one()
    return new, everyone - new


@dataclass(frozen=True)
class Point:
    day: date
    revenue: int
    orders: int
    units: int


def over_time(filters: ReportFilters, grain: str, period: Period | None = None) -> list[Point]:
    """Revenue, orders and units per day, week or month; buckets without sales are 0."""
    period = period or filters.period
    bucket = local_bucket(Order.paid_at, grain).label("bucket")
    rows = db.session.execute(
        sold_lines(filters, bucket, REVENUE, ORDERS, UNITS, period=period).group_by(bucket)
    )
    found = {as_date(b): (int(r), o, int(u)) for b, r, o, u in rows}
    return [Point(day, *found.get(day, (0, 0, 0))) for day in period.buckets(grain)]


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    units: int
    orders: int
    revenue: int
    cost: int
    link: str | None = None

    @property
    def margin(self) -> int:
        return self.revenue - self.cost

    def as_dict(self, revenue_total: int) -> dict:
        return {
            "label": self.label,
            "key": self.key,
            "units": self.units,
            "orders": self.orders,
            "revenue": self.revenue,
            "share": ratio(self.revenue, revenue_total),
            "cost": self.cost,
            "margin": self.margin,
            "margin_rate": ratio(self.margin, self.revenue),
            "link": self.link,
        }


def sales_by(group: str, filters: ReportFilters) -> list[GroupRow]:
    """Sales of the period grouped by product, variant, category, province or channel,
    best first."""
    keys, label, needs_product = _grouping(group)
    query = sold_lines(
        filters, *keys, label, UNITS, ORDERS, REVENUE, COST, with_product=needs_product
    )
    if group == "category":
        query = query.join(Category, Category.id == Product.category_id)
    query = query.group_by(*keys).order_by(REVENUE.desc(), keys[0])
    if group in ("product", "variant"):
        query = query.limit(ROW_LIMIT)
    paths = category_paths() if group == "category" else {}
    rows = []
    for key, name, units, orders, revenue, cost in db.session.execute(query):
        label = paths.get(key) or CHANNELS.get(name, name)
        rows.append(GroupRow(str(key), label, int(units), orders, int(revenue), int(cost)))
    return _with_links(group, rows)


def _grouping(group: str):
    """(group keys, label column, whether the query needs variant and product)."""
    if group == "product":
        return [Product.id], sa.func.max(Product.name), True
    if group == "variant":
        return [Variant.id], sa.func.max(OrderLine.sku + " " + OrderLine.name), True
    if group == "category":
        return [Category.id], sa.func.max(Category.name), True
    if group == "province":
        return (
            [Order.ship_country + "-" + Order.ship_province],
            sa.func.max(Order.ship_province),
            False,
        )
    if group == "channel":
        return [Order.channel], sa.func.max(Order.channel), False
    raise ValueError(f"unknown group {group!r}")


def _with_links(group: str, rows: list[GroupRow]) -> list[GroupRow]:
    """Variants link to their demand forecast, products to their page in the back office."""
    if group == "variant":
        endpoint = "backoffice.variant_forecast"
        return [_linked(r, url_for(endpoint, variant_id=int(r.key))) for r in rows]
    if group == "product":
        return [_linked(r, url_for("backoffice.product", product_id=int(r.key))) for r in rows]
    return rows


def _linked(row: GroupRow, link: str) -> GroupRow:
    return GroupRow(row.key, row.label, row.units, row.orders, row.revenue, row.cost, link)


SALES_COLUMNS = [
    Column("units", "Units", INTEGER),
    Column("orders", "Orders", INTEGER),
    Column("revenue", "Revenue", MONEY),
    Column("share", "Share of revenue", PERCENT),
]
MARGIN_COLUMNS = [
    Column("units", "Units", INTEGER),
    Column("revenue", "Revenue", MONEY),
    Column("cost", "Cost of goods", MONEY),
    Column("margin", "Gross margin", MONEY),
    Column("margin_rate", "Margin", PERCENT),
]


def group_table(group: str, rows: list[GroupRow], columns: list[Column]) -> Table:
    total_revenue = sum(r.revenue for r in rows)
    table = Table([Column("label", GROUPS[group]), *columns], links={"label": "link"})
    table.rows = [r.as_dict(total_revenue) for r in rows]
    if group not in ("product", "variant"):  # a limited list has no honest total
        total = GroupRow(
            "",
            "Total",
            *(sum(getattr(r, f) for r in rows) for f in ("units", "orders", "revenue", "cost")),
        )
        table.totals = total.as_dict(total_revenue)
        table.totals["orders"] = None  # an order of two categories counts once in each
    return table


def over_time_table(points: list[Point], grain: str) -> Table:
    label = {"day": "Day", "week": "Week of", "month": "Month"}[grain]
    table = Table(
        [
            Column("day", label, "date"),
            Column("orders", "Orders", INTEGER),
            Column("units", "Units", INTEGER),
            Column("revenue", "Revenue", MONEY),
        ]
    )
    table.rows = [asdict(p) for p in points]
    table.totals = {
        "day": None,
        "orders": sum(p.orders for p in points),
        "units": sum(p.units for p in points),
        "revenue": sum(p.revenue for p in points),
    }
    return table
