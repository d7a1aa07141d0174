"""Sales: the headline figures of a period, sales over time, and sales by product,
variant, category, province or channel, with gross margin. All computed in SQL.

Revenue is net sales of goods (order lines, before tax and shipping: the Sales account
in the books); cost is each line's unit cost when ordered times its quantity, so gross
margin = revenue - cost of goods at the time of sale.

Refunds and returns come off as negatives in the period they happen, not in the period
of the sale: the goods given back off revenue (less a restocking fee kept), their units
off units sold, and the units that never left or came back resellable off the cost of
goods at the line's frozen cost. The rule, and when each counts: shop.reports.refunds.
Every figure below (headline totals, over time, by product, variant, category, province
and channel, and so the CSVs and the dashboard) is net of them.
"""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import url_for

from shop.catalogue.models import Product, Variant
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.reports import refunds
from shop.reports.filters import (
    CHANNELS,
    SOLD,
    ReportFilters,
    category_paths,
    sold_lines,
    sold_orders_where,
)
from shop.reports.periods import Period, as_date, bucket_start, local_bucket, local_day
from shop.reports.tables import INTEGER, MONEY, PERCENT, Column, Table, ratio

REVENUE = sa.func.coalesce(sa.func.sum(OrderLine.line_total), 0)
COST = sa.func.coalesce(sa.func.sum(OrderLine.unit_cost * OrderLine.quantity), 0)
UNITS = sa.func.coalesce(sa.func.sum(OrderLine.quantity), 0)
ORDERS = sa.func.count(sa.distinct(OrderLine.order_id))
CUSTOMER = sa.func.lower(Order.email)  # a guest and an account with one email are one customer

# The same sums from the orders alone (their subtotal, units and cost are frozen with the
# lines): four times less to read when no category narrows the lines.
ORDER_SUMS = (
    sa.func.coalesce(sa.func.sum(Order.subtotal), 0),
    sa.func.coalesce(sa.func.sum(Order.goods_cost), 0),
    sa.func.coalesce(sa.func.sum(Order.units), 0),
    sa.func.count(Order.id),
)
LINE_SUMS = (REVENUE, COST, UNITS, ORDERS)


def sold(filters: ReportFilters, *keys, period: Period | None = None) -> sa.Select:
    """SELECT keys, revenue, cost, units, orders of the period's sales: from the orders,
    or from their lines when a category is chosen."""
    if filters.category_id:
        return sold_lines(filters, *keys, *LINE_SUMS, period=period)
    return sa.select(*keys, *ORDER_SUMS).where(*sold_orders_where(filters, period))


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
    refunded: int = 0  # goods given back in the period, already taken off revenue

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
    """Revenue, cost, units and orders of a period, net of its refunds and returns."""
    revenue, cost, units, orders = db.session.execute(sold(filters, period=period)).one()
    new, returning = customers_new_and_returning(filters, period)
    back = refunds.adjustments(filters, period)
    refunded = sum(a.revenue for a in back)
    return Totals(
        int(revenue) - refunded,
        int(cost) - sum(a.cost for a in back),
        int(units) - sum(a.units for a in back),
        orders,
        new,
        returning,
        refunded,
    )


def customers_new_and_returning(filters: ReportFilters, period: Period | None = None):
    """Customers who bought in the period: those who had never bought before it (new) and
    those who had (returning). The earlier buyers are found by a join, which PostgreSQL
    hashes: cheap for a long period (little before it) and a short one (few buyers)."""
    start, _ = (period or filters.period).utc_bounds()
    buyers = _buyers(filters, period).cte("buyers")
    earlier = (
        sa.select(CUSTOMER.label("customer"))
        .where(
            Order.status.in_(SOLD),
            Order.paid_at < start,
            CUSTOMER.in_(sa.select(buyers.c.customer)),
        )
        .distinct()
        .subquery()
    )
    everyone, returning = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(earlier.c.customer)).select_from(
            buyers.outerjoin(earlier, earlier.c.customer == buyers.c.customer)
        )
    ).one()
    return everyone - returning, returning


def _buyers(filters: ReportFilters, period: Period | None = None) -> sa.Subquery:
    """The customers (emails) who bought in the period."""
    if filters.category_id:
        query = sold_lines(filters, CUSTOMER.label("customer"), period=period)
    else:
        query = sa.select(CUSTOMER.label("customer")).where(*sold_orders_where(filters, period))
    return query.distinct()


def per_customer(filters: ReportFilters, period: Period | None = None) -> sa.Subquery:
    """One row per customer who bought up to the period's end, in one pass over the
    orders: first purchase, orders and net sales in all, and purchases in the period."""
    period = period or filters.period
    start, end = period.utc_bounds()
    if filters.category_id:  # bought something of the category in the period
        buyers = sold_lines(filters, CUSTOMER, period=period).distinct()
        in_period = CUSTOMER.in_(buyers)
    else:
        in_period = sa.and_(*sold_orders_where(filters, period))
    return (
        sa.select(
            CUSTOMER.label("customer"),
            sa.func.min(Order.paid_at).label("first_paid"),
            sa.func.count().label("orders"),
            sa.func.sum(Order.subtotal).label("revenue"),
            sa.func.count().filter(in_period).label("bought"),
        )
        .where(Order.status.in_(SOLD), Order.paid_at < end)
        .group_by(CUSTOMER)
        .subquery()
    )


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
    rows = db.session.execute(sold(filters, bucket, period=period).group_by(bucket))
    found = {as_date(b): [int(r), o, int(u)] for b, r, _cost, u, o in rows}
    for a in refunds.adjustments(filters, period):
        bucket = found.setdefault(bucket_start(local_day(a.when), grain), [0, 0, 0])
        bucket[0] -= a.revenue
        bucket[2] -= a.units
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
    best first. Products and variants: the ROW_LIMIT best sellers."""
    if group in ("province", "channel"):
        rows = _by_order_field(group, filters)
    elif group == "variant":
        rows = _by_variant(filters)
    elif group in ("product", "category"):
        products, categories = products_and_categories(filters)
        rows = products[:ROW_LIMIT] if group == "product" else categories
    else:
        raise ValueError(f"unknown group {group!r}")
    return _with_links(group, rows)


def _best_first(rows: list[GroupRow]) -> list[GroupRow]:
    return sorted(rows, key=lambda r: (-r.revenue, r.label))


def _by_order_field(group: str, filters: ReportFilters) -> list[GroupRow]:
    """Per province or channel: whole orders, so `orders` counts orders."""
    if group == "province":
        key = Order.ship_country + "-" + Order.ship_province
        label = sa.func.max(Order.ship_province)
    else:
        key, label = Order.channel, sa.func.max(Order.channel)
    rows = [
        GroupRow(str(k), CHANNELS.get(name, name), int(u), o, int(r), int(c))
        for k, name, r, c, u, o in db.session.execute(sold(filters, key, label).group_by(key))
    ]
    labels = _province_labels if group == "province" else _channel_labels
    return _best_first(_less_refunds(rows, group, refunds.adjustments(filters), labels))


def _by_variant(filters: ReportFilters) -> list[GroupRow]:
    """Per variant; `orders` counts order lines (a variant is one line of an order)."""
    best = (
        _per_variant(filters)
        .order_by(sa.literal_column("revenue").desc(), OrderLine.variant_id)
        .limit(ROW_LIMIT)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(best, Variant.sku, Product.name, Variant.option1, Variant.option2)
        .join(Variant, Variant.id == best.c.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .order_by(best.c.revenue.desc(), best.c.variant_id)
    )
    found = [
        GroupRow(str(row.variant_id), _variant_label(row), int(row.units), row.lines,
                 int(row.revenue), int(row.cost))
        for row in rows
    ]  # fmt: skip
    net = _less_refunds(found, "variant", refunds.adjustments(filters), _variant_labels)
    return net[:ROW_LIMIT]


def _variant_label(row) -> str:
    options = " / ".join(o for o in (row.option1, row.option2) if o)
    return f"{row.sku} {row.name}" + (f" ({options})" if options else "")


def _per_variant(filters: ReportFilters) -> sa.Select:
    """The period's sales summed per variant from the lines alone (joined to nothing but
    their orders): few rows to join to the catalogue afterwards."""
    return sold_lines(
        filters,
        OrderLine.variant_id,
        REVENUE.label("revenue"),
        COST.label("cost"),
        UNITS.label("units"),
        sa.func.count().label("lines"),
    ).group_by(OrderLine.variant_id)


def products_and_categories(filters: ReportFilters) -> tuple[list[GroupRow], list[GroupRow]]:
    """Every product sold in the period, and the same rolled up by category: the lines are
    summed per variant first, then the few variant rows are joined to their products.
    `orders` counts order lines here (counting distinct orders per product would sort
    every line of the period)."""
    per_variant = _per_variant(filters).subquery()
    query = (
        sa.select(
            Product.id, Product.category_id, sa.func.max(Product.name),
            sa.func.sum(per_variant.c.units), sa.func.sum(per_variant.c.lines),
            sa.func.sum(per_variant.c.revenue), sa.func.sum(per_variant.c.cost),
        )
        .join(Variant, Variant.id == per_variant.c.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .group_by(Product.id, Product.category_id)
    )  # fmt: skip
    products, by_category = [], {}
    for product_id, category_id, name, units, lines, revenue, cost in db.session.execute(query):
        sums = (int(units), int(lines), int(revenue), int(cost))
        products.append(GroupRow(str(product_id), name, *sums))
        totals = by_category.setdefault(category_id, [0, 0, 0, 0])
        for i, value in enumerate(sums):
            totals[i] += value
    paths = category_paths()
    categories = [GroupRow(str(cid), paths[cid], *sums) for cid, sums in by_category.items()]
    back = refunds.adjustments(filters)
    return (
        _best_first(_less_refunds(products, "product", back, _product_labels)),
        _best_first(_less_refunds(categories, "category", back, _category_labels)),
    )


# --- refunds and returns off the rows ----------------------------------------------------


def _less_refunds(rows: list[GroupRow], group: str, back, labels) -> list[GroupRow]:
    """The rows net of the refunds and returns of the period (shop.reports.refunds); a
    group with only refunds in the period (sold before it) gets a row of its own."""
    sums: dict[str, list[int]] = {}
    for a in back:
        found = sums.setdefault(refunds.group_key(a, group), [0, 0, 0])
        found[0] += a.revenue
        found[1] += a.cost
        found[2] += a.units
    if not sums:
        return rows  # in the order they came
    net = []
    for row in rows:
        revenue, cost, units = sums.pop(row.key, (0, 0, 0))
        net.append(
            GroupRow(row.key, row.label, row.units - units, row.orders, row.revenue - revenue,
                     row.cost - cost, row.link)
        )  # fmt: skip
    names = labels(list(sums)) if sums else {}
    for key, (revenue, cost, units) in sums.items():
        net.append(GroupRow(key, names.get(key, key), -units, 0, -revenue, -cost))
    return _best_first(net)


def _product_labels(keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys]
    rows = db.session.execute(sa.select(Product.id, Product.name).where(Product.id.in_(ids)))
    return {str(i): name for i, name in rows}


def _variant_labels(keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys]
    rows = db.session.execute(
        sa.select(Variant.id, Variant.sku, Product.name, Variant.option1, Variant.option2)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids))
    )
    return {str(row.id): _variant_label(row) for row in rows}


def _category_labels(keys: list[str]) -> dict[str, str]:
    paths = category_paths()
    return {k: paths[int(k)] for k in keys if k.isdigit() and int(k) in paths}


def _province_labels(keys: list[str]) -> dict[str, str]:
    return {k: k.split("-", 1)[-1] for k in keys}


def _channel_labels(keys: list[str]) -> dict[str, str]:
    return {k: CHANNELS.get(k, k) for k in keys}


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


def sales_columns(group: str) -> list[Column]:
    counted = "Orders" if group in ("province", "channel") else "Order lines"
    return [
        Column("units", "Units", INTEGER),
        Column("orders", counted, INTEGER),
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


def group_table(
    group: str, rows: list[GroupRow], columns: list[Column], revenue_total: int | None = None
) -> Table:
    """The rows as a table; shares are of `revenue_total` (the period's revenue) when the
    rows are only the best sellers."""
    total_revenue = revenue_total if revenue_total is not None else sum(r.revenue for r in rows)
    table = Table([Column("label", GROUPS[group]), *columns], links={"label": "link"})
    table.rows = [r.as_dict(total_revenue) for r in rows]
    if group not in ("product", "variant"):  # a limited list has no honest total
        total = GroupRow(
            "",
            "Total",
            *(sum(getattr(r, f) for r in rows) for f in ("units", "orders", "revenue", "cost")),
        )
        table.totals = total.as_dict(total_revenue)
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
