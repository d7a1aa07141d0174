"""Backorder aging (how long customers have been waiting) and fill rate (how often an
order line left complete in its order's first shipment)."""

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from shop.clock import store_zone
from shop.extensions import db
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.orders import status as order_status
from shop.orders.models import Order, OrderLine
from shop.reports.filters import ReportFilters, sold_orders_where
from shop.reports.tables import INTEGER, MONEY, PERCENT, Column, Table, ratio

# Paid orders still owed goods; unpaid orders do not count as backorders yet.
WAITING = (order_status.PAID, order_status.PARTIALLY_SHIPPED)
# (label, youngest age in days, oldest age in days or None)
AGE_BUCKETS = [
    ("0-7 days", 0, 7),
    ("8-14 days", 8, 14),
    ("15-30 days", 15, 30),
    ("Over 30 days", 31, None),
]


@dataclass(frozen=True)
class AgeBucket:
    label: str
    lines: int
    units: int
    value: int  # at selling price: what customers have paid for and wait for
    orders: int


def backorder_aging(today: date) -> list[AgeBucket]:
    """Open backordered lines of paid orders by how many days ago the order was placed
    (one query: each bucket's sums are filtered aggregates)."""
    value = OrderLine.quantity_backordered * OrderLine.unit_price
    columns = []
    for _label, youngest, oldest in AGE_BUCKETS:
        within = sa.and_(*_placed_between(today, youngest, oldest))
        columns += [
            sa.func.count(OrderLine.id).filter(within),
            sa.func.coalesce(sa.func.sum(OrderLine.quantity_backordered).filter(within), 0),
            sa.func.coalesce(sa.func.sum(value).filter(within), 0),
            sa.func.count(sa.distinct(OrderLine.order_id)).filter(within),
        ]
    sums = db.session.execute(_open_backorders(*columns)).one()
    return [
        AgeBucket(label, sums[4 * i], int(sums[4 * i + 1]), int(sums[4 * i + 2]), sums[4 * i + 3])
        for i, (label, _youngest, _oldest) in enumerate(AGE_BUCKETS)
    ]


def _open_backorders(*columns) -> sa.Select:
    return (
        sa.select(*columns)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.quantity_backordered > 0, Order.status.in_(WAITING))
    )


def _placed_between(today: date, youngest: int, oldest: int | None) -> list:
    """Orders placed `youngest`..`oldest` whole local days before today."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), store_zone())

    conditions = [Order.created_at < midnight(today - timedelta(days=youngest - 1))]
    if oldest is not None:
        conditions.append(Order.created_at >= midnight(today - timedelta(days=oldest)))
    return conditions


def open_backorders_total() -> tuple[int, int, int]:
    """(lines, units, value at selling price) of every open backorder."""
    lines, units, value = db.session.execute(
        _open_backorders(
            sa.func.count(OrderLine.id),
            sa.func.coalesce(sa.func.sum(OrderLine.quantity_backordered), 0),
            sa.func.coalesce(sa.func.sum(OrderLine.quantity_backordered * OrderLine.unit_price), 0),
        )
    ).one()
    return lines, int(units), int(value)


def aging_table(buckets: list[AgeBucket]) -> Table:
    table = Table(
        [
            Column("label", "Waiting"),
            Column("orders", "Orders", INTEGER),
            Column("lines", "Lines", INTEGER),
            Column("units", "Units", INTEGER),
            Column("value", "Value", MONEY),
        ]
    )
    table.rows = [asdict(b) for b in buckets]
    table.totals = {
        "label": "Total",
        "orders": None,
        "lines": sum(b.lines for b in buckets),
        "units": sum(b.units for b in buckets),
        "value": sum(b.value for b in buckets),
    }
    return table


@dataclass(frozen=True)
class FillRate:
    lines: int  # lines of the period's orders that have shipped at least once
    complete: int  # of which left complete in the order's first shipment

    @property
    def rate(self):
        return ratio(self.complete, self.lines)


def fill_rate(filters: ReportFilters) -> FillRate:
    """Of the period's sold lines whose order has shipped, the share that left complete in
    the order's first shipment (a line not in it at all was not filled)."""
    first = (
        sa.select(Shipment.order_id, sa.func.min(Shipment.id).label("shipment_id"))
        .where(Shipment.shipped_at.is_not(None))
        .group_by(Shipment.order_id)
        .subquery()
    )
    in_first = sa.and_(
        ShipmentLine.shipment_id == first.c.shipment_id,
        ShipmentLine.order_line_id == OrderLine.id,
    )
    lines, complete = db.session.execute(
        sa.select(
            sa.func.count(OrderLine.id),
            sa.func.count(OrderLine.id).filter(ShipmentLine.quantity == OrderLine.quantity),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(first, first.c.order_id == Order.id)
        .outerjoin(ShipmentLine, in_first)
        .where(*sold_orders_where(filters))
    ).one()
    return FillRate(lines, complete)


def fill_rate_table(current: FillRate, previous: FillRate) -> Table:
    table = Table(
        [
            Column("label", "Orders paid in"),
            Column("lines", "Lines shipped", INTEGER),
            Column("complete", "Complete in first shipment", INTEGER),
            Column("rate", "Fill rate", PERCENT),
        ]
    )
    table.rows = [
        {
            "label": "This period",
            "lines": current.lines,
            "complete": current.complete,
            "rate": current.rate,
        },
        {
            "label": "Previous period",
            "lines": previous.lines,
            "complete": previous.complete,
            "rate": previous.rate,
        },
    ]
    return table
