"""Loading configuration in three layers, and the database's connection rules."""

import os
import secrets
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask, has_request_context, request

from shop.config import Config, ProductionConfig, TestConfig, environment_name
from shop.db import WROTE, WriteInReadOnly, in_read_only
from shop.private_files import private_file, private_folder, write_private

# Well-known environment variables, read without the STORE_ prefix.
PLAIN_ENV = (
    "SECRET_KEY", "DATABASE_URL", "SMTP_URL", "MAIL_FROM", "REDIS_URL", "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
)  # fmt: skip
UNSAFE_KEYS = {None, "", "dev", "change-me", "secret"}
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"  # where `make run` serves the store
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def load(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then the environment (or the test mapping)."""
    private_folder(Path(app.instance_path))
    env = "testing" if test_config is not None else environment_name()
    app.config.from_object({"production": ProductionConfig, "testing": TestConfig}.get(env, Config))
    app.config["STORE_ENV"] = env
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for name in PLAIN_ENV:
            if os.environ.get(name):
                app.config[name] = os.environ[name]
        app.config.from_prefixed_env("STORE")
    else:
        app.config.from_mapping(test_config)

    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)
    app.config["SECRET_KEY"] = secret_key(app, env)
    app.config["BASE_URL"] = base_url(app, env)
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app, env)
    app.config["PROXY_HOPS"] = proxy_hops(app)


def database_uri(app: Flask) -> str:
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(app.instance_path) / "store.db")
    # Hosting providers hand out postgres:// URLs; we drive PostgreSQL with psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(app: Flask, env: str) -> str:
    key = app.config.get("SECRET_KEY")
    if env == "production":
        if key in UNSAFE_KEYS or len(key) < 32:
            raise ConfigurationError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        return key
    if key not in UNSAFE_KEYS:
        return key
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def base_url(app: Flask, env: str) -> str:
    """The store's public address, without a trailing slash; every outside link starts
    with it (shop.links)."""
    value = app.config.get("BASE_URL")
    if not value:
        if env == "production":
            raise ConfigurationError(
                "STORE_BASE_URL must be set in production to the store's public address, "
                "e.g. https://shop.example.com: links in emails and payment pages are built "
                "from it, never from the Host header of a request."
            )
        return DEVELOPMENT_BASE_URL
    parts = urlsplit(str(value).strip())
    if not _is_web_address(parts):
        raise ConfigurationError(
            "STORE_BASE_URL must be an http:// or https:// address such as "
            f"https://shop.example.com (a path such as /shop may follow), not {value!r}."
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _is_web_address(parts) -> bool:
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and not parts.query
        and not parts.fragment
    )


def trusted_hosts(app: Flask, env: str) -> list[str]:
    """The hosts a request may name: BASE_URL's, those listed in TRUSTED_HOSTS (a list or
    comma-separated text; ".example.com" allows every subdomain), and in development
    localhost. Werkzeug answers any other Host with 400."""
    extra = app.config.get("TRUSTED_HOSTS") or []
    if isinstance(extra, str):
        extra = extra.split(",")
    hosts = [urlsplit(app.config["BASE_URL"]).hostname, *(h.strip().lower() for h in extra)]
    if env == "development":
        hosts += LOCAL_HOSTS
    return list(dict.fromkeys(h for h in hosts if h))


def proxy_hops(app: Flask) -> int:
    """How many proxies in front of the store to believe about the client (0: none)."""
    hops = app.config.get("PROXY_HOPS", 0)
    if isinstance(hops, str) and hops.strip().isdigit():
        hops = int(hops)
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ConfigurationError(
            f"STORE_PROXY_HOPS must be a whole number of proxies, 0 or more, not {hops!r}."
        )
    return hops


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
