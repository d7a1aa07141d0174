"""Fixtures for every test: an app on SQLite and, when TEST_DATABASE_URL is set,
the same tests again on PostgreSQL.

Each PostgreSQL test run (each xdist worker) gets its own schema, so parallel
workers never see each other's rows; after every test the tables it wrote are emptied.
On SQLite each test gets a copy of a file holding the empty schema. The demo store
(`demo_app`) is seeded once per worker and copied per test: see tests/templates.py.
"""

import contextlib
import contextvars
import os
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient

from shop import create_app
from shop.extensions import db
from tests import factories
from tests.app_shelf import SHELF
from tests.templates import BASE_URL, NO_FLUSH_WAIT, TEMPLATES, Template, empty_written_tables

PG_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pg_url_for_worker(worker: str, base: str | None = None) -> str:
    """TEST_DATABASE_URL with search_path set to a schema of this worker's own, then public
    (where the pg_trgm extension the search index uses lives, for every schema)."""
    url = sa.engine.make_url(base or PG_URL).set(drivername="postgresql+psycopg")
    options = f"-csearch_path={worker},public {NO_FLUSH_WAIT}"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def ensure_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        # In public, made once: made in a worker's schema, it would go with the schema.
        # Workers start together on a new database, and two CREATE EXTENSION IF NOT
        # EXISTS at once fail on a duplicate key: one at a time.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('pg_trgm'))"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def worker_name(worker_id) -> str:
    return "test_" + re.sub(r"\W", "_", worker_id)


@pytest.fixture(scope="session")
def pg_state(worker_name):
    """Per-worker PostgreSQL URL; the schema is created once and its tables once."""
    if not PG_URL:
        return None
    url = pg_url_for_worker(worker_name)
    ensure_schema(url, worker_name)
    return {"url": url, "created": False}


@pytest.fixture(params=DATABASES)
def database(request) -> str:
    return request.param


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as production does.

    Tests keep an app context pushed for factories and queries; without this,
    requests would reuse it and share `g` (the logged-in user) and the database
    session with the test and with each other, hiding real bugs.
    """

    _isolated = contextvars.ContextVar("isolated", default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Requests go to the host of the store's public address, as its customers' do
        # (a path prefix in BASE_URL is the proxy's to strip); a test may point a
        # client elsewhere: client.base_url = "http://other.example".
        public = urlsplit(self.application.config["BASE_URL"])
        self.base_url = f"{public.scheme}://{public.netloc}"

    def open(self, *args, **kwargs):
        if self._isolated.get():  # a redirect being followed: already isolated
            return super().open(*args, **kwargs)
        if args and isinstance(args[0], str) and not urlsplit(args[0]).netloc:
            kwargs.setdefault("base_url", self.base_url)
        # End the test's own transaction: the request must see its rows, and on
        # SQLite a test holding the write lock would make the request wait.
        db.session.commit()
        response = contextvars.Context().run(self._open_isolated, *args, **kwargs)
        db.session.expire_all()  # the test then sees what the request wrote
        return response

    def session_transaction(self, *args, **kwargs):
        """The session as this client's host sees it."""
        kwargs.setdefault("base_url", self.base_url)
        return super().session_transaction(*args, **kwargs)

    def _open_isolated(self, *args, **kwargs):
        self._isolated.set(True)
        # A streamed body (stream_with_context) is read here, in the request's own context,
        # as the server reads it before the request ends.
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept for every app of this test process.

    Each test makes its own app, and each app's Jinja environment would compile every
    page it renders again; a template is looked up by its name and the checksum of its
    source, so an edited template is compiled afresh.
    """

    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def make_app(database: str, tmp_path, pg_state, **overrides):
    config = {"INSTANCE_PATH": str(tmp_path / "instance"), "BASE_URL": BASE_URL}
    if database == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        config["SQLALCHEMY_DATABASE_URI"] = pg_state["url"]
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(database, tmp_path, pg_state, app_config):
    with app_on(database, tmp_path, pg_state, **app_config) as app:
        yield app


@pytest.fixture(scope="session", autouse=True)
def database_templates():
    """This worker's database templates (tests/templates.py) and kept apps, removed at the end."""
    yield TEMPLATES
    SHELF.close()
    TEMPLATES.close()


@pytest.fixture
def demo_template(database, pg_state, worker_name) -> Template:
    """The demo store as `flask seed-demo` built it, once per worker; `.output` is what it
    printed (the login table)."""
    return TEMPLATES.demo(database, PG_URL, worker_name)


@pytest.fixture
def demo_app(database, tmp_path, pg_state, app_config, demo_template):
    """An app on a copy of the demo store (its database and its images)."""
    with app_on(database, tmp_path, pg_state, template=demo_template, **app_config) as app:
        yield app


@contextlib.contextmanager
def app_on(database: str, tmp_path, pg_state, *, template: Template | None = None, **overrides):
    """An app on empty tables (or on a copy of `template`), its app context pushed;
    emptied again afterwards. The app is the previous test's when it asked for the same
    kind (tests/app_shelf.py); its files are then in a folder of the shelf's, not tmp_path."""
    key = SHELF.key(database, template, overrides)
    kept = SHELF.take(key) if key is not None else None
    home = kept.folder if kept else (SHELF.folder_for_new() if key is not None else tmp_path)
    if template is not None:
        overrides["SQLALCHEMY_DATABASE_URI"] = TEMPLATES.copy(template, home, PG_URL)
    elif database == "sqlite" and "SQLALCHEMY_DATABASE_URI" not in overrides:
        TEMPLATES.copy_empty_sqlite(home / "test.db")
    app = kept.app if kept else make_app(database, home, pg_state, **overrides)
    if key is not None and kept is None:
        SHELF.keep(key, app, home)
    with app.app_context():
        if template is None:
            create_tables(database, pg_state, copied="SQLALCHEMY_DATABASE_URI" not in overrides)
        try:
            yield app
        finally:
            db.session.remove()
            if template is None and database == "postgresql":
                empty_written_tables(db.engine, db.metadata.sorted_tables)
            db.engine.dispose()
            if template is not None:
                TEMPLATES.drop_copy(template)
            if key is not None:
                SHELF.after_test(key)


def create_tables(database: str, pg_state, copied: bool) -> None:
    """Every table, empty: a SQLite file copied from the template has them already, and a
    worker's PostgreSQL schema once its first test made them (each test empties its own)."""
    if database == "sqlite" and copied:
        return
    if database == "postgresql" and pg_state["created"]:
        return
    db.drop_all()
    db.create_all()
    if database == "postgresql":
        pg_state["created"] = True


def empty_all_tables() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def tax_class(app):
    return factories.TaxClassFactory(code="standard", name="Standard")


PASSWORD = factories.PASSWORD


def log_in(client, email: str, password: str = PASSWORD, follow: bool = False):
    """Log in with the password and, when the account has a second factor, its current code."""
    from tests.two_factor_helpers import pass_code_step

    response = client.post("/account/login", data={"email": email, "password": password})
    response = pass_code_step(client, response, email)
    if follow and response.status_code == 302:
        response = client.get(response.headers["Location"], follow_redirects=True)
    return response


@pytest.fixture
def customer(app):
    return factories.UserFactory(email="carla@example.com", name="Carla Customer")


@pytest.fixture
def staff(app):
    """One account per staff role, keyed by role."""
    from shop.accounts import roles

    return {
        role: factories.UserFactory(role=role, email=f"{role}@shop.test") for role in roles.STAFF
    }


CLOCK_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """The process's clock stopped at CLOCK_START; clock.shift(timedelta(...)) moves it.

    time-machine moves the real clock (time.time(), datetime.now()), so the store's
    own code runs unpatched: session limits, lockouts, link ages.
    """
    with time_machine.travel(CLOCK_START, tick=False) as traveller:
        yield traveller
