"""The declarative base every model inherits, and small shared column helpers."""

import contextvars
import math
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, scoped_session

# Stable constraint names, so Alembic migrations name things the same way on
# SQLite and PostgreSQL and can drop them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# connection.info key, kept on SQLite (shop.configuration.loading): has this transaction written?
WROTE = "shop.transaction_wrote"
_READ_ONLY = contextvars.ContextVar("shop_read_only", default=False)


class WriteInReadOnly(RuntimeError):
    """A statement that writes, sent in a transaction begun in read_only()."""


@contextmanager
def read_only():
    """Transactions begun inside only read: on SQLite they take no write lock (a plain
    BEGIN, as a page that only reads), so long reading outside a request (a job drawing
    PDFs, an export) makes no writer wait. Outside requests every transaction otherwise
    takes the write lock at BEGIN (shop.sqlite_engine.WriterGate). On SQLite a write inside
    raises WriteInReadOnly at once rather than fail now and then under load."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def in_read_only() -> bool:
    return _READ_ONLY.get()


def end_reading(session) -> None:
    """Before slow work that needs no lock (checking a password: Argon2 takes 0.1-0.5 s),
    end the transaction if all it did was read, so that it holds no lock meanwhile.

    On SQLite a write request's transaction holds the database's write lock from its
    first statement (shop.sqlite_engine.WriterGate), so every other writer would wait for
    the slow work. The next statement begins a new transaction, and objects loaded are
    read afresh: the writes that follow see what others committed meanwhile, as they
    do on PostgreSQL, where the reads before took no lock either. A transaction that has
    written, or has anything waiting for its commit, is left as it is.
    """
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if any(session.info.values()):  # jobs or mail waiting for the commit
        return
    if session.connection().info.get(WROTE, True):  # unknown (not SQLite) counts as written
        return
    session.commit()


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (never a naive datetime)."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones and returns naive values; this makes both
    databases hand back the same aware datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def refresh_statistics(db) -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would soon have them
    (until then PostgreSQL plans the reports for empty tables)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


@dataclass
class Page:
    """One page of rows, shaped like Flask-SQLAlchemy's pagination for the pager macro."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# --- what a flush or a statement writes -------------------------------------------------


def written_tables(session) -> set[str]:
    """The tables of the rows the session is about to write (new, changed, deleted)."""
    rows = (*session.new, *session.dirty, *session.deleted)
    return {name for row in rows if (name := _table_name(row))}


def statement_table(state) -> str | None:
    """The table an INSERT, UPDATE or DELETE statement run through the session writes (a
    guarded stock update, a bulk insert: they bypass the flush); None for any other."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    return getattr(getattr(state.statement, "table", None), "name", None)


def _table_name(row) -> str | None:
    return getattr(getattr(row, "__table__", None), "name", None)


# --- reference data read once per transaction ------------------------------------------

_MEMO = "_shop_memo"  # the session's attribute: (its transaction, {key: value}); one per thread
_MEMO_TABLES: set[str] = set()  # the tables whose rows a memo may hold


def once_per_transaction(session, key, load, *, models: tuple[type, ...]):
    """What `load()` returns, read once in the current database transaction.

    For reference data a request reads again and again (the checkout quotes every
    shipping service up to three times in one request, each quote reading the zone, the
    services, the rate table and the boxes). It ends with the transaction, so it is
    never older than what the transaction itself would read, and the ORM objects in it
    are never used expired after a commit. A flush or a statement that writes any of
    `models` forgets everything memoised in the transaction, and a change not flushed yet
    is flushed first (as a query would), so a change is seen at once.
    """
    if isinstance(session, scoped_session):
        session = session()
    transaction = session.get_transaction()
    if transaction is None:
        return load()
    _MEMO_TABLES.update(model.__tablename__ for model in models)
    if session.autoflush and _pending_writes(session):
        session.flush()  # as a query would: the flush then forgets what it changes
    memo = _memo_of(session, transaction)
    if key not in memo:
        memo[key] = load()
    return memo[key]


def _memo_of(session, transaction) -> dict:
    kept = getattr(session, _MEMO, None)
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        setattr(session, _MEMO, kept)
    return kept[1]


def forget_memos(session) -> None:
    """Forget what is memoised in this session's transaction."""
    if isinstance(session, scoped_session):
        session = session()
    setattr(session, _MEMO, None)


def _pending_writes(session) -> bool:
    return not _MEMO_TABLES.isdisjoint(written_tables(session))


def _forget_memos_after_writes(session, _flush_context) -> None:
    if _pending_writes(session):
        forget_memos(session)


def _forget_memos_after_statements(state) -> None:
    if statement_table(state) in _MEMO_TABLES:
        forget_memos(state.session)


def _forget_memos_after_rollback(session, _previous_transaction) -> None:
    """A savepoint rolled back may take rows a memo holds (the chart of accounts made by
    the first entry ever posted, inside it) with it."""
    forget_memos(session)


def _forget_memos_of_detached(session, _instance) -> None:
    """expunge() and expunge_all() take objects out of the session: the memo would hand
    them out detached."""
    forget_memos(session)


sa.event.listen(Session, "after_flush", _forget_memos_after_writes)
sa.event.listen(Session, "persistent_to_detached", _forget_memos_of_detached)
sa.event.listen(Session, "after_soft_rollback", _forget_memos_after_rollback)
sa.event.listen(Session, "do_orm_execute", _forget_memos_after_statements)
