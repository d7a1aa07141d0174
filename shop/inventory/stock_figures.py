"""Figures about stock for the back office (the dashboard's counts, the stock valuation and
its CSV), computed in SQL."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.accounting import chart
from shop.accounting.models import Account
from shop.catalogue.models import Product, Variant
from shop.csv_export import csv_lines
from shop.extensions import db
from shop.inventory.models import StockLevel, StockMovement
from shop.inventory.valuation import average_cost, inventory_balance
from shop.money import to_decimal
from shop.notifications.models import PENDING, OutboxMessage


@dataclass(frozen=True)
class DashboardFigures:
    products: int
    variants: int
    out_of_stock: int
    below_reorder_point: int
    stock_value_at_cost: int
    emails_waiting: int
    recent_movements: list[StockMovement]
    low_stock: list[StockLevel]


def dashboard_figures() -> DashboardFigures:
    active = sa.and_(Variant.is_active.is_(True), Product.is_active.is_(True))
    stock = sa.select(StockLevel).join(Variant).join(Product).where(active)
    free = StockLevel.on_hand - StockLevel.allocated
    counts = db.session.execute(
        sa.select(
            sa.func.count(StockLevel.id),
            sa.func.count(StockLevel.id).filter(free <= 0),
            sa.func.count(StockLevel.id).filter(free <= StockLevel.reorder_point),
            sa.func.coalesce(sa.func.sum(StockLevel.stock_value), 0),
        )
        .join(Variant)
        .join(Product)
        .where(active)
    ).one()
    return DashboardFigures(
        products=db.session.scalar(sa.select(sa.func.count(Product.id))),
        variants=counts[0],
        out_of_stock=counts[1],
        below_reorder_point=counts[2],
        stock_value_at_cost=counts[3],
        emails_waiting=db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.status == PENDING)
        ),
        recent_movements=list(
            db.session.scalars(
                sa.select(StockMovement)
                .options(selectinload(StockMovement.variant).selectinload(Variant.product))
                .order_by(StockMovement.id.desc())
                .limit(10)
            )
        ),
        low_stock=list(
            db.session.scalars(
                stock.where(free <= StockLevel.reorder_point)
                .options(selectinload(StockLevel.variant).selectinload(Variant.product))
                .order_by(free, StockLevel.id)
                .limit(10)
            )
        ),
    )


@dataclass(frozen=True)
class ValuationRow:
    variant_id: int
    sku: str
    name: str
    on_hand: int
    value: int  # the cost of the units on hand (shop.inventory.valuation)

    @property
    def average_cost(self) -> int | None:
        return average_cost(self.value, self.on_hand)


@dataclass(frozen=True)
class Valuation:
    rows: list[ValuationRow]
    total: int  # the stock at cost
    account: int  # the inventory account's balance
    account_id: int | None  # for a link to its ledger (None before the chart is seeded)

    @property
    def difference(self) -> int:
        return self.account - self.total


def stock_valuation() -> Valuation:
    """Every variant with stock on hand at its moving average cost, the total, and the
    inventory account beside it. Two queries."""
    rows = db.session.execute(
        sa.select(
            Variant.id,
            Variant.sku,
            Product.name,
            Variant.option1,
            Variant.option2,
            StockLevel.on_hand,
            StockLevel.stock_value,
        )  # fmt: skip
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .where(sa.or_(StockLevel.on_hand > 0, StockLevel.stock_value != 0))
        .order_by(StockLevel.stock_value.desc(), Variant.sku)
    ).all()
    table = [
        ValuationRow(
            variant_id=r.id,
            sku=r.sku,
            name=" / ".join(x for x in (r.name, r.option1, r.option2) if x),
            on_hand=r.on_hand,
            value=r.stock_value,
        )
        for r in rows
    ]
    account_id = db.session.scalar(sa.select(Account.id).where(Account.role == chart.INVENTORY))
    return Valuation(table, sum(r.value for r in table), inventory_balance(), account_id)


VALUATION_COLUMNS = ["SKU", "Item", "On hand", "Average cost", "Value"]


def stock_valuation_csv(valuation: Valuation, currency: str) -> Iterator[str]:
    """The valuation's rows as CSV, amounts in units of the currency; the total last."""

    def amount(minor: int | None) -> str:
        return "" if minor is None else f"{to_decimal(minor, currency):f}"

    rows = (
        [r.sku, r.name, r.on_hand, amount(r.average_cost), amount(r.value)] for r in valuation.rows
    )
    total = [["Total", "", sum(r.on_hand for r in valuation.rows), "", amount(valuation.total)]]
    return csv_lines(VALUATION_COLUMNS, itertools.chain(rows, total))
