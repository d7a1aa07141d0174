"""Customers: who buys the most, how many come back, and what a customer is worth over
their lifetime. A customer is an email address (a guest and an account with one email
are one customer); amounts are net sales of goods, as in the sales report."""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from shop.extensions import db
from shop.orders.models import Order
from shop.reports.filters import SOLD, ReportFilters
from shop.reports.periods import local_day
from shop.reports.sales import CUSTOMER, per_customer, sold
from shop.reports.tables import DATE, INTEGER, MONEY, Column, Table, ratio

TOP = 50


@dataclass(frozen=True)
class CustomerFigures:
    customers: int  # who bought in the period
    repeat: int  # of whom had bought more than once by the end of the period
    lifetime_customers: int  # everyone who had bought by the end of the period
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


def customer_figures(filters: ReportFilters) -> CustomerFigures:
    """The period's customers and repeaters, and lifetime figures up to its end (one query)."""
    each = per_customer(filters)
    bought = each.c.bought > 0
    customers, repeat, everyone, orders, revenue = db.session.execute(
        sa.select(
            sa.func.count().filter(bought),
            sa.func.count().filter(bought, each.c.orders > 1),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(each.c.orders), 0),
            sa.func.coalesce(sa.func.sum(each.c.revenue), 0),
        )
    ).one()
    return CustomerFigures(customers, repeat, everyone, int(orders), int(revenue))


def _lifetime(emails: list[str], until) -> sa.Select:
    """Per customer of `emails`: orders, net sales and first purchase up to `until`."""
    return (
        sa.select(
            CUSTOMER.label("customer"),
            sa.func.count(Order.id).label("orders"),
            sa.func.sum(Order.subtotal).label("revenue"),
            sa.func.min(Order.paid_at).label("first_paid"),
        )
        .where(Order.status.in_(SOLD), CUSTOMER.in_(emails), Order.paid_at < until)
        .group_by(CUSTOMER)
    )


def top_customers(filters: ReportFilters) -> Table:
    """The customers who spent most in the period, with what they spent in all."""
    name = sa.func.max(Order.ship_full_name)
    spent = sold(filters, CUSTOMER, name).group_by(CUSTOMER).subquery()
    top = db.session.execute(
        sa.select(spent.c[0], spent.c[1], spent.c[5], spent.c[2])  # email, name, orders, revenue
        .order_by(spent.c[2].desc(), spent.c[0])
        .limit(TOP)
    ).all()
    emails = [row[0] for row in top]
    _, end = filters.period.utc_bounds()
    lifetime = {row.customer: row for row in db.session.execute(_lifetime(emails, end))}
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
