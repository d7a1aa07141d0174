"""The reorder list: variants whose stock position (free stock, net of what orders wait
for, plus what is on order) will not cover them; and draft purchase orders made from it.

A variant with enough sales history has a demand forecast (shop/planning/demand.py): it is
listed when its position is below the forecast demand over its lead time and a review week
plus safety stock, and the suggestion tops the position up to that. A variant without one
falls back to its reorder point and reorder quantity. Each row says which it used.

"Available" here is free stock less the units open orders are waiting for
(backorders): free stock is 0 while customers wait, and a variant with 30 units
backordered needs those 30 ordered as well as its reorder point.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.catalogue.models import Variant
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.inventory.services import MAX_MOVEMENT
from shop.orders.models import Order, OrderLine
from shop.planning.forecast import order_for_cover
from shop.planning.models import DemandForecast
from shop.promise.incoming import PROMISING
from shop.purchasing import services
from shop.purchasing import status as st
from shop.purchasing.errors import PurchasingError
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier

FORECAST = "forecast"
REORDER_POINT = "reorder point"


@dataclass(frozen=True)
class ReorderRow:
    variant: Variant
    stock: StockLevel
    free: int  # on hand - allocated
    backordered: int  # units open orders wait for
    on_order: int  # still to come on draft, sent and partly received purchase orders
    suggested: int
    basis: str  # FORECAST or REORDER_POINT: what the suggestion was worked out from
    forecast: DemandForecast | None = None

    @property
    def available(self) -> int:
        return self.free - self.backordered

    @property
    def supplier(self) -> Supplier | None:
        return self.stock.supplier


def on_order_by_variant() -> sa.Subquery:
    """(variant_id, units) still to come on open purchase orders."""
    return (
        sa.select(
            PurchaseOrderLine.variant_id,
            sa.func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.quantity_received).label(
                "units"
            ),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.status.in_(st.ON_ORDER),
            PurchaseOrderLine.quantity > PurchaseOrderLine.quantity_received,
        )
        .group_by(PurchaseOrderLine.variant_id)
        .subquery()
    )


def backordered_by_variant() -> sa.Subquery:
    """(variant_id, units) open orders wait for."""
    return (
        sa.select(OrderLine.variant_id, sa.func.sum(OrderLine.quantity_backordered).label("units"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.quantity_backordered > 0, Order.status.in_(PROMISING))
        .group_by(OrderLine.variant_id)
        .subquery()
    )


def reorder_list() -> list[ReorderRow]:
    """Every active variant to reorder, by supplier and SKU (three queries in all)."""
    on_order = on_order_by_variant()
    waiting = backordered_by_variant()
    free = StockLevel.on_hand - StockLevel.allocated
    ordered = sa.func.coalesce(on_order.c.units, 0)
    backordered = sa.func.coalesce(waiting.c.units, 0)
    position = free - backordered + ordered
    rows = db.session.execute(
        sa.select(Variant, StockLevel, DemandForecast, free, backordered, ordered)
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .outerjoin(DemandForecast, DemandForecast.variant_id == Variant.id)
        .outerjoin(on_order, on_order.c.variant_id == Variant.id)
        .outerjoin(waiting, waiting.c.variant_id == Variant.id)
        .outerjoin(Supplier, Supplier.id == StockLevel.supplier_id)
        .where(
            Variant.is_active.is_(True),
            sa.or_(
                sa.and_(DemandForecast.variant_id.is_(None), position < StockLevel.reorder_point),
                position < DemandForecast.cover_units,
            ),
        )
        .options(selectinload(Variant.product), selectinload(StockLevel.supplier))
        .order_by(Supplier.name, Variant.sku)
    )
    result = []
    for variant, stock, model, free_units, waiting_units, on_order_units in rows:
        here = free_units - waiting_units + on_order_units
        if model is not None:
            cover = float(model.cover_units)
            suggested = order_for_cover(cover, position=here, minimum=stock.reorder_quantity)
            basis = FORECAST
        else:
            suggested, basis = by_reorder_point(stock, here), REORDER_POINT
        result.append(
            ReorderRow(
                variant, stock, free_units, waiting_units, on_order_units, suggested, basis, model
            )
        )
    return result


def by_reorder_point(stock: StockLevel | None, position: int) -> int:
    """Without a forecast: nothing while the position is at the reorder point or above,
    else the reorder quantity, or what brings it back to the point if that is more."""
    if stock is None or position >= stock.reorder_point:
        return 0
    return max(stock.reorder_quantity, stock.reorder_point - position)


def create_draft_pos(
    variant_ids, user, today: date | None = None, quantities: dict | None = None
) -> list[PurchaseOrder]:
    """One draft purchase order per supplier for these variants of the reorder list,
    each line at the quantity typed for it (`quantities`, by variant id; else the
    suggestion) and the variant's cost. A quantity that is not a whole number from 1 to
    MAX_MOVEMENT is refused beside its row, and nothing is made."""
    quantities = quantities or {}
    wanted = set(variant_ids or ())
    if not wanted:
        raise PurchasingError("Tick the variants to order first.", field="variant_ids")
    rows = [row for row in reorder_list() if row.variant.id in wanted]
    gone = wanted - {row.variant.id for row in rows}
    if gone:
        raise PurchasingError(
            "Some ticked variants no longer need reordering (stock or orders changed); "
            "check the list again.",
            field="variant_ids",
        )
    orphans = [row.variant.sku for row in rows if row.supplier is None]
    if orphans:
        raise PurchasingError(
            f"No supplier is set for {', '.join(orphans)}; choose one on the variant first.",
            field="variant_ids",
        )
    _check_quantities(quantities, rows)
    by_supplier: dict[int, list[ReorderRow]] = {}
    for row in rows:
        by_supplier.setdefault(row.supplier.id, []).append(row)
    made = []
    for supplier_id in sorted(by_supplier):
        po = services.create_purchase_order(supplier_id=supplier_id, user=user)
        for row in by_supplier[supplier_id]:
            services.add_line(
                po=po,
                sku=row.variant.sku,
                quantity=quantities.get(row.variant.id, row.suggested),
                unit_cost=row.variant.cost,
            )
        made.append(po)
    return made


def _check_quantities(quantities: dict, rows: list[ReorderRow]) -> None:
    for row in rows:
        if row.variant.id not in quantities:
            continue
        quantity = quantities[row.variant.id]
        if not _whole_in_range(quantity):
            raise PurchasingError(
                f"Order {row.variant.sku} in a whole number from 1 to {MAX_MOVEMENT:,}.",
                field=f"quantity_{row.variant.id}",
            )


def _whole_in_range(quantity) -> bool:
    return (
        isinstance(quantity, int)
        and not isinstance(quantity, bool)
        and 0 < quantity <= MAX_MOVEMENT
    )
