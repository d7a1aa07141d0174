"""Customers: who buys the most, how many come back, and what a customer is worth over
their lifetime. A customer is an email address (a guest and an account with one email
are one customer); amounts are net sales of goods, as in the sales report."""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from shop.extensions import db
from shop.orders.models import Order
from shop.reports.filters import SOLD, ReportFilters, sold_lines
from shop.reports.periods import local_day
from shop.reports.sales import CUSTOMER, ORDERS, REVENUE
from shop.reports.tables import DATE, INTEGER, MONEY, Column, Table, ratio

TOP = 50


@dataclass(frozen=True)
class CustomerFigures:
    customers: int  # who bought in the period
    repeat: int  # of whom bought more than once, ever
    lifetime_customers: int  # everyone who ever bought
    lifetime_orders: int
    lifetime_revenue: int

    @property
    def repeat_rate(self) -> Decimal | None:
        return ratio(self.repeat, self.customers)

    @property
    def lifetime_value(self) -> int:
        """Average net sales per customer since the store opened."""
        return self.lifetime_revenue // self.lifetime_customers if self.lifetime_customers else 0

    @property
    def orders_per_customer(self) -> Decimal | None:
        return ratio(self.lifetime_orders, self.lifetime_customers)


def _lifetime(customers) -> sa.Select:
    """Per customer in `customers` (a select of emails): orders, net sales, first purchase."""
    return (
        sa.select(
            CUSTOMER.label("customer"),
            sa.func.count(Order.id).label("orders"),
            sa.func.sum(Order.subtotal).label("revenue"),
            sa.func.min(Order.paid_at).label("first_paid"),
        )
        .where(Order.status.in_(SOLD), CUSTOMER.in_(customers))
        .group_by(CUSTOMER)
    )


def customer_figures(filters: ReportFilters) -> CustomerFigures:
    buyers = sold_lines(filters, CUSTOMER).distinct().subquery()
    lifetime = _lifetime(sa.select(buyers.c[0])).subquery()
    customers, repeat = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(lifetime.c.orders > 1))
    ).one()
    everyone, orders, revenue = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(CUSTOMER)),
            sa.func.count(Order.id),
            sa.func.coalesce(sa.func.sum(Order.subtotal), 0),
        ).where(Order.status.in_(SOLD))
    ).one()
    return CustomerFigures(customers, repeat, everyone, orders, int(revenue))


def top_customers(filters: ReportFilters) -> Table:
    """The customers who spent most in the period, with what they spent in all."""
    top = db.session.execute(
        sold_lines(filters, CUSTOMER, sa.func.max(Order.ship_full_name), ORDERS, REVENUE)
        .group_by(CUSTOMER)
        .order_by(REVENUE.desc(), CUSTOMER)
        .limit(TOP)
    ).all()
    emails = [row[0] for row in top]
    lifetime = {row.customer: row for row in db.session.execute(_lifetime(emails))}
    table = Table(
        [
            Column("email", "Customer"),
            Column("name", "Name"),
            Column("orders", "Orders", INTEGER),
            Column("revenue", "Spent", MONEY),
            Column("lifetime_orders", "Orders in all", INTEGER),
            Column("lifetime_revenue", "Spent in all", MONEY),
            Column("first", "First purchase", DATE),
        ]
    )
    for email, name, orders, revenue in top:
        life = lifetime[email]
        table.rows.append(
            {
                "email": email,
                "name": name,
                "orders": orders,
                "revenue": int(revenue),
                "lifetime_orders": life.orders,
                "lifetime_revenue": int(life.revenue),
                "first": local_day(life.first_paid),
            }
        )
    return table
