"""Locking stock rows before allocating, the same way on both databases.

PostgreSQL: SELECT ... FOR UPDATE on the stock rows, always in id order, so
two orders for the same variants queue instead of deadlocking. SQLite has no
row locks (SQLAlchemy drops FOR UPDATE there); its write transactions already
hold the database's single write lock from BEGIN (see shop.settings), which
serialises allocations just as well. The allocation itself is also a guarded
UPDATE, so even without a lock it can never take more than is free.
"""

import sqlalchemy as sa

from shop.extensions import db
from shop.inventory.models import StockLevel


def lock_stock_rows(variant_ids: list[int]) -> list[StockLevel]:
    """Lock these variants' stock rows and read them afresh (loaded objects are refreshed)."""
    if not variant_ids:
        return []
    query = (
        sa.select(StockLevel)
        .where(StockLevel.variant_id.in_(sorted(set(variant_ids))))
        .order_by(StockLevel.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))
