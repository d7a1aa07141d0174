"""Figures about stock for the back office, computed in SQL."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.catalogue.models import Product, Variant
from shop.extensions import db
from shop.inventory.models import StockLevel, StockMovement
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
            sa.func.coalesce(sa.func.sum(StockLevel.on_hand * Variant.cost), 0),
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
    sku: str
    name: str
    on_hand: int
    unit_cost: int
    value: int


def stock_valuation() -> tuple[list[ValuationRow], int]:
    """Every variant with stock on hand, valued at its cost; and the total. One query."""
    value = StockLevel.on_hand * Variant.cost
    rows = db.session.execute(
        sa.select(
            Variant.sku,
            Product.name,
            Variant.option1,
            Variant.option2,
            StockLevel.on_hand,
            Variant.cost,
            value.label("value"),
        )  # fmt: skip
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .where(StockLevel.on_hand > 0)
        .order_by(value.desc(), Variant.sku)
    ).all()
    table = [
        ValuationRow(
            sku=r.sku,
            name=" / ".join(x for x in (r.name, r.option1, r.option2) if x),
            on_hand=r.on_hand,
            unit_cost=r.cost,
            value=r.value,
        )
        for r in rows
    ]
    return table, sum(r.value for r in table)
