"""The embedded default (SQLite, werkzeug's threaded server) under load, with real threads.

50 clients against the store served on a free port of 127.0.0.1: browsing, filling carts,
buying through the whole checkout (demo provider), logging in, and warehouse staff
adjusting stock. Not one request may fail, and what was bought must be recorded.
Timing figures are bench/embedded_load.py's; this test only counts failures.
"""

import argparse
import random
import sqlite3
import threading
import time

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from bench import embedded_load as load
from bench.checkout import seed
from shop.configuration.defaults import Config
from shop.db import WriteInReadOnly, end_reading, read_only
from shop.extensions import db
from tests.conftest import make_app

CLIENTS = 50
SECONDS = 12  # of load; the whole test takes about twice as long on two cores


def _locked_for_others(path) -> bool:
    """Does some transaction hold the write lock? Another connection cannot take it."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()
    return False


def test_a_request_that_has_only_read_lets_go_of_the_write_lock(app, database):
    if database != "sqlite":
        pytest.skip("SQLite's write lock")
    path = db.engine.url.database
    with app.test_request_context("/account/login", method="POST"):
        db.session.execute(sa.text("SELECT 1"))
        assert _locked_for_others(path)  # a write request locks at its first statement
        end_reading(db.session)
        assert not _locked_for_others(path)  # slow work after this blocks nobody
        db.session.execute(sa.text("CREATE TABLE scratch (n INTEGER)"))
        db.session.execute(sa.text("INSERT INTO scratch VALUES (1)"))
        end_reading(db.session)
        assert _locked_for_others(path)  # it wrote: it keeps its lock until it commits
        db.session.rollback()
    assert not _locked_for_others(path)


def test_reading_outside_a_request_takes_no_write_lock_in_read_only(app, database):
    if database != "sqlite":
        pytest.skip("SQLite's write lock")
    path = db.engine.url.database
    db.session.execute(sa.text("SELECT 1"))  # a job, a command: locked at BEGIN
    assert _locked_for_others(path)
    db.session.rollback()
    with read_only():
        db.session.execute(sa.text("SELECT 1"))
        assert not _locked_for_others(path)  # drawing PDFs from here blocks no writer
        with pytest.raises(WriteInReadOnly):
            db.session.execute(sa.text("CREATE TABLE scratch (n INTEGER)"))
        db.session.rollback()
    assert not _locked_for_others(path)


def test_the_writers_queue_is_let_go_however_a_transaction_ends(app, database):
    if database != "sqlite":
        pytest.skip("SQLite's writers")
    gate = app.extensions["sqlite_writer_gate"].lock
    with db.engine.begin() as conn:  # outside a request: a writer
        conn.exec_driver_sql("SELECT 1")
        assert gate.locked()
    assert not gate.locked()  # committed
    conn = db.engine.connect()
    conn.begin()
    conn.exec_driver_sql("SELECT 1")
    conn.rollback()
    assert not gate.locked()
    transaction = conn.begin()
    conn.exec_driver_sql("SELECT 1")
    conn.invalidate()  # the connection died mid-way
    assert not gate.locked()
    transaction.rollback()
    conn.close()
    with app.test_request_context("/", method="GET"), db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        assert not gate.locked()  # pages that only read never queue


@pytest.fixture
def store(tmp_path):
    """The bench's store in an SQLite file: catalogue, customers and clerks (with the
    production's password hashing), served by werkzeug's threaded server as in `make run`."""
    workdir = tmp_path / "store"
    workdir.mkdir()
    url = f"sqlite:///{workdir / 'store.db'}"
    shop = seed(url, workdir, argparse.Namespace(seed=3, products=20, variants=3))
    hashing = {
        "PASSWORD_HASH_TIME_COST": Config.PASSWORD_HASH_TIME_COST,
        "PASSWORD_HASH_MEMORY_KIB": Config.PASSWORD_HASH_MEMORY_KIB,
        "PASSWORD_HASH_PARALLELISM": Config.PASSWORD_HASH_PARALLELISM,
    }
    app = make_app(
        "sqlite", tmp_path, None,
        SQLALCHEMY_DATABASE_URI=url, BASE_URL="http://127.0.0.1:5000",
        WTF_CSRF_ENABLED=True, **hashing,
    )  # fmt: skip
    roles = load.roles_for(CLIENTS)
    customers, clerks = load.seed_people(app, roles.count("login"), roles.count("staff"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_port}", url, shop, customers, clerks
    server.shutdown()
    serving.join(timeout=30)
    with app.app_context():
        db.engine.dispose()


def test_fifty_clients_and_not_one_failed_request(store):
    base, url, shop, customers, clerks = store
    stats = load.Stats()
    until = time.monotonic() + SECONDS
    work = load.Load(base, shop, customers, clerks, stats, until, random.Random(5))
    load.run_clients(work, CLIENTS)

    assert stats.failures == []
    assert stats.requests > 200
    assert stats.paid, "no checkout went through"
    assert stats.adjustments, "no stock adjustment went through"
    assert set(stats.times) >= {"product page", "add to cart", "place order", "pay", "login"}
    assert load.check_database(url, stats) == []
