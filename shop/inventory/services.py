"""Stock changes. on_hand moves only here, always with a movement row beside it."""

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from shop import locks
from shop.extensions import db
from shop.inventory import reasons, valuation
from shop.inventory.errors import StockError
from shop.inventory.models import StockLevel, StockMovement

MAX_MOVEMENT = 1_000_000


def stock_for(variant_id: int) -> StockLevel:
    """The stock row of a variant, created empty on first use."""
    stock = db.session.scalar(sa.select(StockLevel).where(StockLevel.variant_id == variant_id))
    if stock is None:
        stock = StockLevel(variant_id=variant_id, on_hand=0, allocated=0)
        db.session.add(stock)
        db.session.flush()
    return stock


def record_movement(
    *, variant_id: int, quantity: int, reason: str, reference: str = "", note: str = "",
    user=None, unit_cost: int | None = None, post: bool = True,
) -> StockMovement:  # fmt: skip
    """Change on_hand by `quantity`, and the stock's value with it, and write the movement
    that explains both.

    unit_cost: what the shop paid for each unit arriving (a receipt); without it, units
    move at the moving average cost (shop.inventory.valuation). The movement posts its
    own entry unless post=False (a receipt posts one entry per delivery).
    """
    if reason not in reasons.LABELS:
        raise StockError(f"Unknown reason {reason!r}.", field="reason")
    if quantity == 0:
        raise StockError("A stock movement must change the quantity.", field="quantity")
    if abs(quantity) > MAX_MOVEMENT:
        raise StockError(f"A movement may move at most {MAX_MOVEMENT:,} units.", field="quantity")
    stock_for(variant_id)
    # Under the stock row's lock, the value moved is taken from the row as it is now: two
    # movements at once each move their own share. The UPDATE is guarded as well: the
    # database refuses to take on_hand below what is allocated.
    stock = valuation.locked_stock(variant_id)
    if stock.on_hand + quantity < stock.allocated:
        raise StockError(
            f"Not enough stock: {stock.on_hand} on hand, {stock.allocated} allocated to orders; "
            f"cannot remove {-quantity}.",
            field="quantity",
        )
    change = valuation.value_change(
        stock, quantity, unit_cost, valuation.catalogue_cost(variant_id)
    )
    movement = _move(stock, quantity, change, reason=reason, reference=reference, note=note,
                     user=user)  # fmt: skip
    if post:
        valuation.post_movement(movement, user)
    return movement


def _move(stock: StockLevel, quantity: int, change: int, consumed: int = 0, **movement):
    """One guarded UPDATE of on_hand, value and (for a shipment) the `consumed` allocation,
    with the movement row; the caller holds the stock row's lock. The guard keeps on_hand
    at or above what stays allocated."""
    allocated = StockLevel.allocated - consumed
    result = db.session.execute(
        sa.update(StockLevel)
        .where(StockLevel.id == stock.id)
        .where(StockLevel.allocated >= consumed, StockLevel.on_hand + quantity >= allocated)
        .values(
            on_hand=StockLevel.on_hand + quantity,
            allocated=allocated,
            stock_value=StockLevel.stock_value + change,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StockError(f"Cannot move {quantity} units of variant {stock.variant_id}.")
    user = movement.pop("user")
    row = StockMovement(
        variant_id=stock.variant_id, quantity=quantity, value=change,
        user_id=getattr(user, "id", None), **movement,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    db.session.refresh(stock)
    return row


def adjust_stock(*, variant_id: int, quantity: int, reason: str, note: str = "", user=None):
    """A manual change by staff, e.g. +3 found, -1 damaged."""
    if reason not in reasons.MANUAL or reason == reasons.COUNT:
        raise StockError("Choose why the stock changes.", field="reason")
    return record_movement(
        variant_id=variant_id, quantity=quantity, reason=reason, note=note, user=user
    )


def count_stock(*, variant_id: int, counted: int, note: str = "", user=None):
    """Set on_hand to a counted figure by writing the difference as a movement.

    The stock row is locked first: the difference is taken from on_hand as it is
    now, so two counts at once (or a count and a shipment) cannot both apply theirs.
    """
    if counted < 0:
        raise StockError("A count cannot be negative.", field="quantity")
    locks.lock_stock_rows([variant_id])
    stock = stock_for(variant_id)
    difference = counted - stock.on_hand
    if difference == 0:
        return None
    return record_movement(
        variant_id=variant_id, quantity=difference, reason=reasons.COUNT, note=note, user=user
    )


def movements_of(variant_id: int, limit: int = 500) -> list[StockMovement]:
    return list(
        db.session.scalars(
            sa.select(StockMovement)
            .where(StockMovement.variant_id == variant_id)
            .order_by(StockMovement.id.desc())
            .limit(limit)
        )
    )


def movement_total(variant_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(StockMovement.quantity), 0)).where(
            StockMovement.variant_id == variant_id
        )
    )


# --- back office listings ----------------------------------------------------------

LIST_PER_PAGE = 50


def stock_list(*, text: str = "", low_only: bool = False, page: int = 1, per_page=LIST_PER_PAGE):
    """Variants with their stock, by product; low_only keeps free stock at or below reorder."""
    from sqlalchemy.orm import selectinload

    from shop.catalogue.models import Product, Variant

    query = (
        sa.select(Variant)
        .join(Variant.product)
        .outerjoin(Variant.stock)
        .options(
            selectinload(Variant.product),
            selectinload(Variant.stock).selectinload(StockLevel.supplier),
        )
        .order_by(Product.name, Variant.position, Variant.sku)
    )
    for word in text.lower().split()[:8]:
        query = query.where(
            sa.or_(
                sa.func.lower(Variant.sku).contains(word, autoescape=True),
                sa.func.lower(Product.name).contains(word, autoescape=True),
            )
        )
    if low_only:
        query = query.where(StockLevel.on_hand - StockLevel.allocated <= StockLevel.reorder_point)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def movement_history(*, variant_id: int, page: int = 1, per_page: int = 100):
    """Every movement of a variant, newest first, with the staff member who made it."""
    from sqlalchemy.orm import selectinload

    query = (
        sa.select(StockMovement)
        .where(StockMovement.variant_id == variant_id)
        .options(selectinload(StockMovement.user))
        .order_by(StockMovement.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


# --- allocation: reserving stock for orders ----------------------------------------


def free_stock(variant_id: int) -> int:
    """on_hand - allocated, read from the database (not from a cached object)."""
    free = db.session.scalar(
        sa.select(StockLevel.on_hand - StockLevel.allocated).where(
            StockLevel.variant_id == variant_id
        )
    )
    return max(free or 0, 0)


def allocate(*, variant_id: int, quantity: int, stock_row: StockLevel | None = None) -> int:
    """Reserve up to `quantity` free units for an order; returns how many were reserved.

    Call with the stock row locked (shop.locks) and, to save a query, that row
    as `stock_row`. The UPDATE is guarded, so allocated never exceeds on_hand,
    lock or no lock.
    """
    taken = 0
    free = stock_row.available if stock_row is not None else free_stock(variant_id)
    while taken < quantity:
        want = min(free, quantity - taken)
        if want <= 0:
            break
        result = db.session.execute(
            sa.update(StockLevel)
            .where(StockLevel.variant_id == variant_id)
            .where(StockLevel.on_hand - StockLevel.allocated >= want)
            .values(allocated=StockLevel.allocated + want)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            taken += want
        if taken < quantity:
            free = free_stock(variant_id)  # short, or raced without a lock: look again
    if stock_row is not None and taken:
        # Keep the loaded row true without reading it back (and without a second UPDATE).
        set_committed_value(stock_row, "allocated", stock_row.allocated + taken)
    elif taken:
        _expire_stock(variant_id)
    return taken


def release(*, variant_id: int, quantity: int) -> None:
    """Give back units an order had reserved (payment failed, expired, cancelled)."""
    if quantity <= 0:
        return
    result = db.session.execute(
        sa.update(StockLevel)
        .where(StockLevel.variant_id == variant_id, StockLevel.allocated >= quantity)
        .values(allocated=StockLevel.allocated - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StockError(f"Cannot release {quantity} units of variant {variant_id}.")
    _expire_stock(variant_id)


def _expire_stock(variant_id: int) -> None:
    # Objects already loaded in this session must show the new figures.
    for obj in db.session.identity_map.values():
        if isinstance(obj, StockLevel) and obj.variant_id == variant_id:
            db.session.expire(obj)


# --- shipping: allocated stock leaves the warehouse ---------------------------------


def consume_allocation(
    *, variant_id: int, quantity: int, reference: str, note: str = "", user=None
) -> StockMovement:
    """Units reserved for an order leave in a shipment: on_hand and allocated both drop,
    and the units take their share of the stock's value (the movement's value, negative:
    the shipment's cost of goods).

    Under the stock row's lock, one guarded UPDATE (the units must be allocated) and the
    movement that explains it, so on_hand still equals the sum of movements.
    """
    if quantity <= 0:
        raise StockError("A shipment must take at least one unit.", field="quantity")
    stock_for(variant_id)
    stock = valuation.locked_stock(variant_id)
    if stock.allocated < quantity:
        raise StockError(f"Cannot ship {quantity} units of variant {variant_id}: not allocated.")
    change = -valuation.value_out(stock.stock_value, stock.on_hand, quantity)
    movement = _move(stock, -quantity, change, consumed=quantity, reason=reasons.SHIPMENT,
                     reference=reference, note=note, user=user)  # fmt: skip
    _expire_stock(variant_id)
    return movement
