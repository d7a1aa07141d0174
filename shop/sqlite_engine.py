"""SQLite's connection rules: a private file, WAL, foreign keys, a busy timeout, and write
transactions that take the lock first and queue in turn (WriterGate)."""

import threading
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, has_request_context, request

from shop.db import WROTE, WriteInReadOnly, in_read_only
from shop.private_files import private_file


def configure_database(app: Flask, db) -> None:
    """SQLite: a private file, WAL, foreign keys, a busy timeout, and write transactions
    that lock first and queue in turn. Every engine checks a pooled connection before
    using it (pool_pre_ping, see Config.SQLALCHEMY_ENGINE_OPTIONS)."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        # SQLite gives its -wal and -shm files the mode of the database file.
        private_file(Path(url.database))
    with app.app_context():
        gate = app.extensions["sqlite_writer_gate"] = WriterGate(
            app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]
        )
        sa.event.listen(db.engine, "connect", _sqlite_connect(app.config))
        sa.event.listen(db.engine, "begin", gate.begin)
        sa.event.listen(db.engine, "commit", gate.end)
        sa.event.listen(db.engine, "rollback", gate.end)
        sa.event.listen(db.engine, "checkin", gate.checked_in)
        sa.event.listen(db.engine, "invalidate", gate.invalidated)
        sa.event.listen(db.engine, "before_cursor_execute", _note_writes)


class WriterGate:
    """Write transactions of this process take SQLite's write lock one after the other.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer committed in between; taking the write lock at BEGIN
    (BEGIN IMMEDIATE) makes writers queue instead. Reading pages (GET) keep plain BEGIN
    so readers never wait for each other or for writers (WAL).

    SQLite's own queue is a busy handler that polls, sleeping up to 100 ms between
    tries: under load a writer that just arrived takes the lock before one that has
    waited for seconds, and the unlucky one runs out of busy_timeout (a 500). So the
    writers of one process first queue on a threading lock, which hands over at once
    when the writer before commits; only the process's head of the queue polls SQLite
    (against other processes: gunicorn's workers, the job consumer, a CLI command).
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.lock = threading.Lock()

    def begin(self, conn) -> None:
        conn.info[WROTE] = False
        conn.info[_READ_ONLY] = reading = in_read_only() or (
            has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        )
        if reading:
            conn.exec_driver_sql("BEGIN")
            return
        # Past the timeout (a writer stuck for that long), queue on SQLite alone as before.
        if self.lock.acquire(timeout=self.timeout):
            conn.info[_HOLDS_GATE] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn) -> None:
        if not conn.invalidated:  # a dead connection let go when it was invalidated
            self._release(conn.info)

    def checked_in(self, _dbapi_connection, record) -> None:
        # A transaction the pool ended (a connection dropped mid-way) lets the gate go too.
        self._release(record.info)

    def invalidated(self, _dbapi_connection, record, _exception=None) -> None:
        self._release(record.info)  # before the pool forgets the dead connection's info

    def _release(self, info: dict) -> None:
        if info.pop(_HOLDS_GATE, False):
            self.lock.release()


_HOLDS_GATE = "shop.sqlite_writer_gate"
_READ_ONLY = "shop.read_only_transaction"
READING_STATEMENTS = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _note_writes(conn, _cursor, statement: str, *_args) -> None:
    """What shop.db.end_reading asks: has this transaction sent anything but reads?"""
    if statement.lstrip()[:9].upper().startswith(READING_STATEMENTS):
        return
    conn.info[WROTE] = True
    if conn.info.get(_READ_ONLY) and in_read_only():
        raise WriteInReadOnly(f"a write inside shop.db.read_only(): {statement[:80]}")


def _sqlite_connect(config):
    busy_ms = int(config["SQLITE_BUSY_TIMEOUT_SECONDS"] * 1000)

    def connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return connect
