"""Every row lock the store takes, in one documented order.

A use case that locks more than one kind of row takes them in this order, and
rows of one kind by id ascending:

    0. the cart         (lock_cart: a checkout post, before anything else)
    1. orders           (lock_order, lock_orders, claim_orders)
       then their refunds (lock_refunds), the order always locked first
    2. shipments        (lock_shipment)
    3. purchase orders  (lock_purchase_order)
    4. supplier bills   (lock_supplier_bill)
    5. stock rows       (lock_stock_rows)
    6. the books        (lock_books_for_posting, lock_books_for_closing)

A sign-in locks its own rows (lock_login_challenge, then lock_totp_factor; a
failure, lock_account_throttle) and nothing else, so they never meet the six
above. The outbox deliverer claims a message (claim_outbox_message) in a short
transaction of its own that locks nothing else, and so does the job that keeps a
document batch's PDF (its batch row, shop.fulfilment.batches) and the scheduler
recording a job's run (an INSERT into job_runs, shop.jobs.runs).

The books come last: an entry is posted at the end of a use case, after its
rows are locked, and closing the period locks nothing else, so the two never
deadlock. (Counters come last of all: the invoice-number series is bumped by an UPDATE
while paying, after the order and its stock rows.) Two use cases that follow
one order can wait for each other but never deadlock: cancelling an order
(order -> its packing shipments -> stock) and confirming a shipment (order ->
shipment -> stock) queue on the order. Re-dating backorders (a purchase order's date
edited, the purchase order cancelled, `flask backorders repromise`) locks the orders
waiting for its variants, then the purchase order(s) by id (shop.backorders.repromise),
so two copies of the job, or the job and a staff edit, queue on the orders and the second
sees the dates the first wrote. Locking a row the transaction already
holds again is free, so a use case may re-read a row under its lock.

PostgreSQL: SELECT ... FOR UPDATE, the rows read afresh (populate_existing), so
a decision is made on the row as it is now, not on a copy loaded earlier.
SQLite has no row locks (SQLAlchemy drops FOR UPDATE there); its write
transactions hold the database's single write lock from BEGIN (shop.configuration.loading),
which serialises them just as well.

This module imports no model and no domain package: it names rows by their TABLE
("orders", "stock_levels") and finds the class mapped to that table at run time, so every
domain package, however low, can import it without an arrow back up the house.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.extensions import db


def _mapped(table_name: str):
    """The model class mapped to this table (every model is imported before a request or a
    job runs: shop.models). By name, so this module needs no model import."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is not None and mapper.local_table.name == table_name:
            return mapper.class_
    raise LookupError(f"no model is mapped to the table {table_name!r}")


def _fresh(query):
    return query.execution_options(populate_existing=True)


def _lock_one(model, row_id: int, *loads):
    """One row read afresh under its lock, with what it brings along (loader options)."""
    query = sa.select(model).where(model.id == row_id).options(*loads).with_for_update(of=model)
    return db.session.scalar(_fresh(query))


# --- 0. the cart being checked out --------------------------------------------------


def lock_cart(cart_id: int):
    """The cart (shop.cart.models.Cart) read afresh under its row lock; None once it is
    gone (ordered a moment ago, or purged). Two posts of one cart's checkout (a double
    click, two tabs) so go one after the other, and the second finds the cart ordered."""
    return _lock_one(_mapped("carts"), cart_id)


# --- 1. orders ----------------------------------------------------------------------


def lock_order(order_id: int):
    """The order (shop.orders.models.Order) and its lines read afresh under the order's
    row lock; None if there is no such order."""
    order = _mapped("orders")
    return _lock_one(order, order_id, selectinload(order.lines))


def lock_orders(order_ids) -> None:
    """Lock these orders, by id ascending (their rows are not loaded)."""
    ids = sorted(set(order_ids))
    if ids:
        db.session.flush()  # as an ORM query would: what this session changed goes first
        orders = sa.table("orders", sa.column("id"))
        db.session.execute(
            sa.select(orders.c.id)
            .where(orders.c.id.in_(ids))
            .order_by(orders.c.id)
            .with_for_update()
        ).all()


def claim_orders(*conditions, limit: int) -> list:
    """Up to `limit` orders matching, by id ascending, locked and read afresh with their lines.

    Orders another transaction holds are skipped, not waited for (PostgreSQL SKIP
    LOCKED): a job takes only what no one else is working on, and two copies of
    the job share the work instead of doing it twice.
    """
    order = _mapped("orders")
    query = (
        sa.select(order)
        .where(*conditions)
        .order_by(order.id)
        .limit(limit)
        .options(selectinload(order.lines))
        .with_for_update(of=order, skip_locked=True)
    )
    return list(db.session.scalars(_fresh(query)))


# --- 2. shipments -------------------------------------------------------------------


def lock_refunds(*conditions, skip_locked: bool = False) -> list:
    """Refunds matching, by id ascending, read afresh under their locks. Their order is
    locked first, so a webhook about a refund and the call that sent it queue on the order.
    skip_locked: leave out those another transaction holds (a job claiming its work)."""
    refund = _mapped("refunds")
    query = (
        sa.select(refund).where(*conditions).order_by(refund.id)
        .with_for_update(skip_locked=skip_locked)
    )  # fmt: skip
    return list(db.session.scalars(_fresh(query)))


def lock_document_batch(batch_id: int):
    """A document batch read afresh under its row lock (its job keeps the PDF under it;
    it locks nothing else)."""
    return _lock_one(_mapped("document_batches"), batch_id)


def lock_shipment(shipment_id: int):
    """The shipment with its lines and parcels read afresh under its row lock.

    Lock its order first (lock_order): a shipment's order_id never changes, so
    it can be read without a lock to know which order to lock.
    """
    shipment, shipment_line = _mapped("shipments"), _mapped("shipment_lines")
    return _lock_one(
        shipment,
        shipment_id,
        selectinload(shipment.lines).selectinload(shipment_line.order_line),
        selectinload(shipment.parcels),
    )


# --- 3. purchase orders -------------------------------------------------------------


def lock_purchase_order(po_id: int):
    """The purchase order and its lines read afresh under its row lock."""
    purchase_order = _mapped("purchase_orders")
    return _lock_one(purchase_order, po_id, selectinload(purchase_order.lines))


# --- 4. supplier bills ---------------------------------------------------------------


def lock_supplier_bill(bill_id: int):
    """A supplier bill read afresh under its row lock: two payments of it queue, and the
    second sees what the first paid. Lock its purchase order first, if at all."""
    return _lock_one(_mapped("supplier_bills"), bill_id)


# --- 5. stock rows ------------------------------------------------------------------


def lock_stock_rows(variant_ids) -> list:
    """Lock these variants' stock rows, by id ascending, and read them afresh.

    The allocation itself is also a guarded UPDATE, so even without a lock it
    can never take more than is free; the lock makes a decision read from the
    row (how many are free, what a count differs by) hold until the commit.
    """
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    stock_level = _mapped("stock_levels")
    query = (
        sa.select(stock_level)
        .where(stock_level.variant_id.in_(ids))
        .order_by(stock_level.id)
        .with_for_update()
    )
    return list(db.session.scalars(_fresh(query)))


# --- sign-in (apart from the six above) -----------------------------------------------


def lock_login_challenge(*conditions):
    """The sign-in waiting for a code, under its row lock: wrong codes are counted once."""
    query = sa.select(_mapped("login_challenges")).where(*conditions).with_for_update()
    return db.session.scalar(_fresh(query))


def lock_totp_factor(user_id: int):
    """The user's authenticator row, under its lock, so a code is spent only once."""
    totp_factor = _mapped("totp_factors")
    query = sa.select(totp_factor).where(totp_factor.user_id == user_id).with_for_update()
    return db.session.scalar(_fresh(query))


def lock_account_throttle(*conditions):
    """One account's failure count, under its lock: failures at the same moment all count."""
    query = sa.select(_mapped("account_throttles")).where(*conditions).with_for_update()
    return db.session.scalar(_fresh(query))


# --- the outbox (a transaction of its own) ---------------------------------------------


def claim_rows(ids_query) -> list[int]:
    """The ids `ids_query` selects, their rows locked; rows another transaction holds are
    skipped, not waited for (PostgreSQL SKIP LOCKED; a purge takes what is free)."""
    return list(db.session.scalars(ids_query.with_for_update(skip_locked=True)))


def claim_outbox_message(*conditions) -> int | None:
    """The id of the first outbox message matching, locked; a message another deliverer
    is claiming this moment is skipped, not waited for (PostgreSQL SKIP LOCKED)."""
    outbox = _mapped("outbox_messages")  # the conditions name its columns
    query = (
        sa.select(outbox.id)
        .where(*conditions)
        .order_by(outbox.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalar(query)


# --- 6. the books: the lock date --------------------------------------------------------

# One key for the whole journal's lock date, in PostgreSQL's advisory lock space.
BOOKS_LOCK_KEY = 0x5B00C5  # "books"


def _advisory(function: str) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(getattr(sa.func, function)(BOOKS_LOCK_KEY)))


def lock_books_for_posting() -> None:
    """Before an entry reads the lock date: many postings share this lock; a close waits
    for every posting that holds it to commit, and a posting waits for a close.

    No row stands for the lock date (there is none until the first close), so this is a
    transaction-level advisory lock, released at commit or rollback. SQLite serialises
    write transactions from BEGIN, which gives the same order.
    """
    _advisory("pg_advisory_xact_lock_shared")


def lock_books_for_closing() -> None:
    """Before the lock date moves: alone, once no posting holds the shared lock."""
    _advisory("pg_advisory_xact_lock")
