"""The parts of storefront pages that are the same for everybody, kept rendered between
requests (Flask-Caching: in-process SimpleCache by default, Redis when REDIS_URL is set).

What a cached part shows (products, prices, stock, ship dates, categories, images) can
change in any of many services, in any process or host. Rather than each service
remembering to drop what it changed, one row, `page_versions`, gets a new version by
every transaction that wrote one of WATCHED_TABLES, in that same transaction, just
before it commits; every cached part is keyed by that version, which a request reads
first (one primary-key query). So the commit that changes stock or a price is the moment
every process and host stops using what it had: nobody sees the old figures afterwards.

A version is a random number, not a count: a count would start again at the same
values after the table is emptied or a backup restored, and meet parts kept for another
state of the shop; a random version names one state of the data.

The row is written last in the transaction (before_commit), after every other lock was
taken, so it cannot close a deadlock with the stock rows' locks (shop/locks.py); it is
held only for the commit itself.

Only what is the same for every visitor goes in: never a name, a cart count, a flash
message or a CSRF token. A per-person value that must sit inside a cached part is left
as a slot (PERSONAL_SLOT) and filled at each request.
"""

import logging
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app
from flask_caching import Cache
from redis.exceptions import RedisError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.clock import store_today
from shop.db import Base, statement_table, written_tables
from shop.extensions import db

# Every table a cached part reads, by name (this module sits below the domain packages):
# the catalogue, stock and its suppliers (lead times), the goods on order and the orders
# waiting for them (ship dates).
WATCHED_TABLES = frozenset(
    {
        "categories", "products", "variants", "product_images", "stock_levels",
        "suppliers", "purchase_orders", "purchase_order_lines", "orders", "order_lines",
    }
)  # fmt: skip
CHANGED = "page_cache_changed"  # in Session.info: this transaction wrote a watched table
SAVEPOINTS = "page_cache_savepoints"  # in Session.info: savepoint -> CHANGED when it began
PERSONAL_SLOT = "\x00personal\x00"  # where a cached part takes the visitor's CSRF field
ROW_ID = 1

cache = Cache()
log = logging.getLogger(__name__)


class PageVersion(Base):
    """One row: a new version from every transaction that changes what a cached page shows."""

    __tablename__ = "page_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger)


def init_app(app: Flask) -> None:
    """In-process SimpleCache unless told otherwise; RedisCache on REDIS_URL."""
    config = app.config
    if not config.get("CACHE_TYPE"):
        config["CACHE_TYPE"] = "RedisCache" if config.get("REDIS_URL") else "SimpleCache"
    if config["CACHE_TYPE"] == "RedisCache":
        config.setdefault("CACHE_REDIS_URL", config.get("REDIS_URL"))
    cache.init_app(app)


def current_version() -> int:
    """The version committed last (0 before the first change).

    On PostgreSQL a page that has not touched the database yet (every page answered from
    the cache) reads it outside a transaction: one round trip to the server instead of
    three (BEGIN, the query, ROLLBACK). What the page then reads is at least as new as
    the version (each statement sees what was committed before it), so a part is never
    kept under a version newer than what it shows. SQLite's BEGIN and ROLLBACK cost no
    round trip, and a page that has read already keeps to its transaction."""
    query = sa.select(PageVersion.version).where(PageVersion.id == ROW_ID)
    if db.session().in_transaction() or db.engine.dialect.name != "postgresql":
        return db.session.scalar(query) or 0
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.scalar(query) or 0


def shared_part(key: tuple, render: Callable[[], dict | None]) -> dict | None:
    """What render() made for `key` at the current version and date, made once and kept.

    render returns a dict of strings (the parts of a page) or None (nothing to keep,
    such as a page that does not exist). The date is in the key since ship dates count
    from today.
    """
    full_key = ":".join(["page", str(current_version()), store_today().isoformat(), *map(str, key)])
    found = _kept(full_key)
    if found is not None:
        return found
    made = render()
    if made is not None:
        _keep(full_key, made)
    return made


def _kept(key: str) -> dict | None:
    try:
        return cache.get(key)
    except (RedisError, OSError):  # a cache that is down costs speed, never the page
        log.warning("The page cache cannot be read; the page is rendered afresh.", exc_info=True)
        return None


def _keep(key: str, part: dict) -> None:
    try:
        cache.set(key, part, timeout=current_app.config["PAGE_CACHE_SECONDS"])
    except (RedisError, OSError):
        log.warning("The page cache cannot be written.", exc_info=True)


def fill_personal(html: str, value: str) -> str:
    return html.replace(PERSONAL_SLOT, value)


# --- watching the writes -------------------------------------------------------------


@sa.event.listens_for(Session, "before_flush")
def _note_flushed_changes(session, _flush_context, _instances):
    if not session.info.get(CHANGED) and not WATCHED_TABLES.isdisjoint(written_tables(session)):
        session.info[CHANGED] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state):
    if statement_table(state) in WATCHED_TABLES:
        state.session.info[CHANGED] = True


@sa.event.listens_for(Session, "before_commit")
def _bump_before_commit(session):
    if session.in_nested_transaction():
        return
    session.flush()  # what is still pending is part of this transaction too
    if session.info.pop(CHANGED, False):
        session.execute(_bump_statement(session))


@sa.event.listens_for(Session, "after_rollback")
def _forget_changes(session):
    if not session.in_transaction():
        session.info.pop(CHANGED, None)


@sa.event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session, transaction):
    """A savepoint begins: remember whether the transaction had changed a page before it."""
    if transaction.nested:
        session.info.setdefault(SAVEPOINTS, {})[transaction] = session.info.get(CHANGED, False)


@sa.event.listens_for(Session, "after_soft_rollback")
def _undo_savepoint_changes(session, previous_transaction):
    """A savepoint rolled back (an order refused at placing) takes its changes back, and
    with them its reason to give every kept page a new version."""
    if not previous_transaction.nested:
        return
    before = session.info.get(SAVEPOINTS, {}).pop(previous_transaction, None)
    if before is not None:
        session.info[CHANGED] = before


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_savepoints(session, transaction):
    if transaction.parent is None:
        session.info.pop(SAVEPOINTS, None)


def _bump_statement(session):
    """A new version, creating the row the first time (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = PageVersion.__table__
    version = secrets.randbits(62) + 1  # never 0, the version before any change
    statement = insert(table).values(id=ROW_ID, version=version)
    return statement.on_conflict_do_update(index_elements=[table.c.id], set_={"version": version})
