"""Stock in money: what it is worth at cost by category, how fast it turns, and how many
days the stock on hand lasts at the period's rate of sale."""

from decimal import Decimal

import sqlalchemy as sa
from flask import url_for

from shop.catalogue.models import Category, Product, Variant
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.orders.models import OrderLine
from shop.reports.filters import ReportFilters, category_and_below, category_paths, sold_lines
from shop.reports.sales import UNITS, products_and_categories
from shop.reports.tables import INTEGER, MONEY, NUMBER, Column, Table

COVER_ROWS = 50
FREE = StockLevel.on_hand - StockLevel.allocated


def _per_day(amount: int, days: int) -> Decimal:
    return Decimal(amount) / Decimal(days)


def cover_days(stock, sold, days: int) -> Decimal | None:
    """Days the stock lasts at the rate sold over `days` days; None when nothing sold."""
    if not sold:
        return None
    return (Decimal(stock) / _per_day(sold, days)).quantize(Decimal("0.1"))


def turnover(cost_sold: int, stock_value: int, days: int) -> Decimal | None:
    """Times a year the stock is sold through: cost of goods sold per year / stock at cost.

    Stock at cost is today's (the ledger is not replayed to average it over the period).
    """
    if not stock_value:
        return None
    yearly = _per_day(cost_sold, days) * 365
    return (yearly / Decimal(stock_value)).quantize(Decimal("0.01"))


def valuation_by_category(filters: ReportFilters) -> Table:
    """Per category: units and value on hand at cost, cost of goods sold in the period,
    turnover and days of cover."""
    active = sa.and_(Variant.is_active.is_(True), Product.is_active.is_(True))
    stock_query = (
        sa.select(
            Category.id,
            sa.func.max(Category.name),
            sa.func.coalesce(sa.func.sum(StockLevel.on_hand), 0),
            sa.func.coalesce(sa.func.sum(StockLevel.stock_value), 0),  # at average cost
        )
        .select_from(StockLevel)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(active)
        .group_by(Category.id)
    )
    if filters.category_id:
        stock_query = stock_query.where(Category.id.in_(category_and_below(filters.category_id)))
    _, categories = products_and_categories(filters)
    sold = {int(row.key): (row.cost, row.units) for row in categories}
    days = filters.period.days
    table = Table(_VALUATION_COLUMNS)
    paths = category_paths()
    for category_id, _name, units, value in db.session.execute(stock_query):
        cost_sold, units_sold = sold.get(category_id, (0, 0))
        row = _valuation_row(
            paths[category_id], int(units), int(value), cost_sold, units_sold, days
        )
        table.rows.append(row)
    table.rows.sort(key=lambda r: (-r["value"], r["category"]))
    totals = [
        sum(r[k] for r in table.rows) for k in ("on_hand", "value", "cost_sold", "units_sold")
    ]
    table.totals = _valuation_row("Total", *totals, days)
    return table


_VALUATION_COLUMNS = [
    Column("category", "Category"),
    Column("on_hand", "Units on hand", INTEGER),
    Column("value", "Value at cost", MONEY),
    Column("units_sold", "Units sold", INTEGER),
    Column("cost_sold", "Cost of goods sold", MONEY),
    Column("turnover", "Turnover per year", NUMBER),
    Column("cover", "Days of cover", NUMBER),
]


def _valuation_row(name, on_hand, value, cost_sold, units_sold, days) -> dict:
    return {
        "category": name,
        "on_hand": on_hand,
        "value": value,
        "units_sold": units_sold,
        "cost_sold": cost_sold,
        "turnover": turnover(cost_sold, value, days),
        "cover": cover_days(value, cost_sold, days),
    }


def shortest_cover(filters: ReportFilters) -> Table:
    """The selling variants whose free stock lasts the fewest days at the period's rate."""
    sold = (
        sold_lines(filters, OrderLine.variant_id, UNITS.label("units"))
        .group_by(OrderLine.variant_id)
        .subquery()
    )
    days = filters.period.days
    rows = db.session.execute(
        sa.select(Variant.id, Variant.sku, Product.name, FREE, sold.c.units)
        .select_from(sold)
        .join(Variant, Variant.id == sold.c.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .where(Variant.is_active.is_(True))
        .order_by((FREE * days * 1000) / sold.c.units, Variant.sku)
        .limit(COVER_ROWS)
    )
    table = Table(
        [
            Column("sku", "SKU"),
            Column("product", "Product"),
            Column("free", "Free stock", INTEGER),
            Column("units_sold", "Units sold", INTEGER),
            Column("cover", "Days of cover", NUMBER),
        ],
        links={"sku": "link"},
    )
    for variant_id, sku, product, free, units in rows:
        table.rows.append(
            {
                "sku": sku,
                "product": product,
                "free": free,
                "units_sold": int(units),
                "cover": cover_days(max(free, 0), int(units), days),
                "link": url_for("backoffice.variant_forecast", variant_id=variant_id),
            }
        )
    return table
