"""Shipping charged to customers against what the carrier's rates cost us, and the
taxes the period's sales collected."""

import sqlalchemy as sa

from shop.extensions import db
from shop.orders.models import Order, OrderTax
from shop.reports.filters import ReportFilters, sold_orders_where
from shop.reports.tables import INTEGER, MONEY, PERCENT, RATE, Column, Table, ratio


def shipping_by_service(filters: ReportFilters) -> Table:
    """Per shipping service: orders, charged, cost, and the difference (negative: the
    store pays for free or cheap shipping)."""
    rows = db.session.execute(
        sa.select(
            Order.shipping_service_name,
            sa.func.count(Order.id),
            sa.func.count(Order.id).filter(Order.shipping_total == 0),
            sa.func.coalesce(sa.func.sum(Order.shipping_total), 0),
            sa.func.coalesce(sa.func.sum(Order.shipping_cost), 0),
        )
        .where(*sold_orders_where(filters))
        .group_by(Order.shipping_service_name)
        .order_by(Order.shipping_service_name)
    )
    table = Table(
        [
            Column("service", "Service"),
            Column("orders", "Orders", INTEGER),
            Column("free", "Shipped free", INTEGER),
            Column("charged", "Charged", MONEY),
            Column("cost", "Carrier cost", MONEY),
            Column("difference", "Charged - cost", MONEY),
            Column("recovered", "Cost recovered", PERCENT),
        ]
    )
    for service, orders, free, charged, cost in rows:
        table.rows.append(_shipping_row(service, orders, free, int(charged), int(cost)))
    table.totals = _shipping_row(
        "Total", *(sum(r[k] for r in table.rows) for k in ("orders", "free", "charged", "cost"))
    )
    return table


def _shipping_row(service, orders, free, charged, cost) -> dict:
    return {
        "service": service,
        "orders": orders,
        "free": free,
        "charged": charged,
        "cost": cost,
        "difference": charged - cost,
        "recovered": ratio(charged, cost),
    }


def taxes_collected(filters: ReportFilters) -> Table:
    """Tax on the period's sales by component and rate, as charged on the orders."""
    rows = db.session.execute(
        sa.select(
            OrderTax.component,
            OrderTax.rate,
            sa.func.count(sa.distinct(OrderTax.order_id)),
            sa.func.sum(OrderTax.taxable),
            sa.func.sum(OrderTax.amount),
        )
        .join(Order, Order.id == OrderTax.order_id)
        .where(*sold_orders_where(filters))
        .group_by(OrderTax.component, OrderTax.rate)
        .order_by(OrderTax.component, OrderTax.rate)
    )
    table = Table(
        [
            Column("component", "Tax"),
            Column("rate", "Rate", RATE),
            Column("orders", "Orders", INTEGER),
            Column("taxable", "Taxable", MONEY),
            Column("amount", "Tax", MONEY),
        ]
    )
    for component, rate, orders, taxable, amount in rows:
        table.rows.append(
            {
                "component": component,
                "rate": rate,
                "orders": orders,
                "taxable": int(taxable),
                "amount": int(amount),
            }
        )
    table.totals = {
        "component": "Total",
        "amount": sum(r["amount"] for r in table.rows),
    }
    return table
