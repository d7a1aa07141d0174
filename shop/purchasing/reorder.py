"""The reorder list: variants whose stock, net of what orders wait for, plus what is on
order, is below their reorder point; and draft purchase orders made from it.

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
from shop.orders.models import Order, OrderLine
from shop.purchasing import services
from shop.purchasing import status as st
from shop.purchasing.errors import PurchasingError
from shop.purchasing.incoming import PROMISING
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier


@dataclass(frozen=True)
class ReorderRow:
    variant: Variant
    stock: StockLevel
    free: int  # on hand - allocated
    backordered: int  # units open orders wait for
    on_order: int  # still to come on draft, sent and partly received purchase orders
    suggested: int

    @property
    def available(self) -> int:
        return self.free - self.backordered

    @property
    def supplier(self) -> Supplier | None:
        return self.stock.supplier


def reorder_list() -> list[ReorderRow]:
    """Every active variant to reorder, by supplier and SKU (three queries in all)."""
    on_order = (
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
    waiting = (
        sa.select(OrderLine.variant_id, sa.func.sum(OrderLine.quantity_backordered).label("units"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.quantity_backordered > 0, Order.status.in_(PROMISING))
        .group_by(OrderLine.variant_id)
        .subquery()
    )
    free = StockLevel.on_hand - StockLevel.allocated
    ordered = sa.func.coalesce(on_order.c.units, 0)
    backordered = sa.func.coalesce(waiting.c.units, 0)
    rows = db.session.execute(
        sa.select(Variant, StockLevel, free, backordered, ordered)
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .outerjoin(on_order, on_order.c.variant_id == Variant.id)
        .outerjoin(waiting, waiting.c.variant_id == Variant.id)
        .outerjoin(Supplier, Supplier.id == StockLevel.supplier_id)
        .where(
            Variant.is_active.is_(True),
            free - backordered + ordered < StockLevel.reorder_point,
        )
        .options(selectinload(Variant.product), selectinload(StockLevel.supplier))
        .order_by(Supplier.name, Variant.sku)
    )
    result = []
    for variant, stock, free_units, waiting_units, on_order_units in rows:
        short = stock.reorder_point - (free_units - waiting_units + on_order_units)
        suggested = max(stock.reorder_quantity, short)
        result.append(
            ReorderRow(variant, stock, free_units, waiting_units, on_order_units, suggested)
        )
    return result


def create_draft_pos(variant_ids, user, today: date | None = None) -> list[PurchaseOrder]:
    """One draft purchase order per supplier for these variants of the reorder list,
    each line at the suggested quantity and the variant's cost."""
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
    by_supplier: dict[int, list[ReorderRow]] = {}
    for row in rows:
        by_supplier.setdefault(row.supplier.id, []).append(row)
    made = []
    for supplier_id in sorted(by_supplier):
        po = services.create_purchase_order(supplier_id=supplier_id, user=user)
        for row in by_supplier[supplier_id]:
            services.add_line(
                po=po, sku=row.variant.sku, quantity=row.suggested, unit_cost=row.variant.cost
            )
        made.append(po)
    return made
