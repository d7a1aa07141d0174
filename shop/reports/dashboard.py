"""The owner's dashboard: the period against the one before it, and what waits today."""

from dataclasses import dataclass

import sqlalchemy as sa

from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.reports import backorders, sales
from shop.reports.backorders import WAITING
from shop.reports.filters import ReportFilters

TOP = 8


@dataclass(frozen=True)
class OwnerDashboard:
    filters: ReportFilters
    grain: str
    current: sales.Totals
    previous: sales.Totals
    series: list[sales.Point]
    previous_series: list[sales.Point]
    top_products: list[sales.GroupRow]
    top_categories: list[sales.GroupRow]
    backorder_lines: int
    backorder_units: int
    backorder_value: int
    orders_to_ship: int


def owner_dashboard(filters: ReportFilters, grain: str) -> OwnerDashboard:
    previous = filters.period.previous()
    lines, units, value = backorders.open_backorders_total()
    products, categories = sales.products_and_categories(filters)
    return OwnerDashboard(
        filters=filters,
        grain=grain,
        current=sales.totals(filters),
        previous=sales.totals(filters, previous),
        series=sales.over_time(filters, grain),
        previous_series=sales.over_time(filters, grain, previous),
        top_products=products[:TOP],
        top_categories=categories[:TOP],
        backorder_lines=lines,
        backorder_units=units,
        backorder_value=value,
        orders_to_ship=orders_ready_to_ship(),
    )


def orders_ready_to_ship() -> int:
    """Paid orders with allocated goods the warehouse can send now."""
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(OrderLine.order_id)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status.in_(WAITING), OrderLine.quantity_allocated > 0)
    )
