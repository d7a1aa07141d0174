"""Reading orders for the back office: the filtered list and one order in full. No writes."""

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.clock import local_midnight
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderLine

LIST_PER_PAGE = 50
MAX_SEARCH_WORDS = 8


def admin_orders(
    *, text: str = "", status: str | None = None, placed_from: date | None = None,
    placed_to: date | None = None, backordered: bool = False, page: int = 1,
    per_page: int | None = None,
):  # fmt: skip
    """Orders newest first, filtered; dates are days in the store's time zone, both included.

    Each order's lines come in one more query for the whole page (the backorder
    badge reads them), never one query per order.
    """
    query = sa.select(Order).options(selectinload(Order.lines)).order_by(Order.id.desc())
    for word in text.lower().split()[:MAX_SEARCH_WORDS]:
        query = query.where(
            sa.or_(
                sa.func.lower(Order.number).contains(word, autoescape=True),
                sa.func.lower(Order.email).contains(word, autoescape=True),
            )
        )
    if status:
        query = query.where(Order.status == status)
    if placed_from is not None:
        query = query.where(Order.created_at >= local_midnight(placed_from))
    if placed_to is not None:
        query = query.where(Order.created_at < local_midnight(placed_to + timedelta(days=1)))
    if backordered:
        query = query.where(
            sa.exists().where(OrderLine.order_id == Order.id, OrderLine.quantity_backordered > 0)
        )
    per_page = per_page or LIST_PER_PAGE
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def admin_order(number: str) -> Order | None:
    """One order with its lines, taxes, payments and history (and who did what)."""
    return db.session.scalar(
        sa.select(Order)
        .where(Order.number == number)
        .options(
            selectinload(Order.lines),
            selectinload(Order.taxes),
            selectinload(Order.payments),
            selectinload(Order.events).selectinload(OrderEvent.user),
        )
    )
