"""Databases built once per test process (each xdist worker) and copied for every test.

- The empty schema on SQLite: `create_all` once into a file; each test gets a copy of
  the file (a file copy takes a millisecond, creating every table tens of them).
- The demo store as `flask seed-demo` builds it: seeded once per database kind, then
  copied per test with its instance folder (the product images). On SQLite the copy is
  a file copy; on PostgreSQL a database made with `CREATE DATABASE ... TEMPLATE`,
  dropped after the test. Its name starts with the name of TEST_DATABASE_URL's
  database, so two runs on one server (or two workers) never share one.
- PostgreSQL's empty schema stays one schema per worker; after each test only the
  tables holding rows are emptied (DELETE) and only the sequences that were used are
  restarted (`empty_written_tables`), so the next test starts on empty tables and ids
  from 1, whoever wrote the rows (the test, a server thread, a subprocess).

Tests that check seed-demo itself (its --if-empty, its refusal) still run the command.
"""

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from shop import create_app
from shop.extensions import db

BASE_URL = "http://shop.test"  # the public address every test app is given
# A commit of a test's session does not wait for PostgreSQL to flush its log to disk:
# what is committed is seen, locked and conflicts exactly as with the flush (only a crash
# of the server could lose it), and a test commits tens of times.
NO_FLUSH_WAIT = "-csynchronous_commit=off"


@dataclass(frozen=True)
class Template:
    """A database to copy: a SQLite file or a PostgreSQL database, and its instance folder."""

    sqlite_file: Path | None
    pg_database: str | None
    instance: Path
    output: str = ""  # what the command that built it printed
    exit_code: int = 0


class Templates:
    """This process's templates, built on first use, removed by close()."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._built: dict[tuple[str, str], Template] = {}
        self._admin: sa.Engine | None = None

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="shop-test-templates-"))
        return self._folder

    def empty_sqlite(self) -> Path:
        """A SQLite file holding every table, empty."""
        key = ("empty", "sqlite")
        if key not in self._built:
            path = self.folder / "empty.db"
            app = create_app(self._config(f"sqlite:///{path}", self.folder / "empty-instance"))
            with app.app_context():
                db.create_all()
                db.engine.dispose()
            self._built[key] = Template(path, None, self.folder / "empty-instance")
        return self._built[key].sqlite_file

    def copy_empty_sqlite(self, path: Path) -> None:
        copy_sqlite(self.empty_sqlite(), path)

    def demo(self, database: str, pg_url: str | None, worker: str) -> Template:
        """The demo store `flask seed-demo` builds, on SQLite or in a PostgreSQL database."""
        key = ("demo", database)
        if key not in self._built:
            self._built[key] = self._seed_demo(database, pg_url, worker)
        return self._built[key]

    def _seed_demo(self, database: str, pg_url: str | None, worker: str) -> Template:
        instance = self.folder / f"demo-{database}-instance"
        sqlite_file = pg_database = None
        if database == "sqlite":
            sqlite_file = self.folder / "demo.db"
            uri = f"sqlite:///{sqlite_file}"
        else:
            pg_database = template_database_name(pg_url, f"demo_{worker}")
            uri = self.recreate_database(pg_url, pg_database)
        app = create_app(self._config(uri, instance))
        with app.app_context():
            db.create_all()
            result = app.test_cli_runner().invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
            db.session.remove()
            db.engine.dispose()  # a template database must have no one connected
        return Template(sqlite_file, pg_database, instance, result.output, result.exit_code)

    def copy(self, template: Template, tmp_path: Path, pg_url: str | None) -> str:
        """Copy the template for one test; the database URI the test's app uses."""
        shutil.copytree(template.instance, tmp_path / "instance", dirs_exist_ok=True)
        if template.sqlite_file is not None:
            copy_sqlite(template.sqlite_file, tmp_path / "test.db")
            return f"sqlite:///{tmp_path / 'test.db'}"
        return self.recreate_database(pg_url, copy_name(template), template=template.pg_database)

    def drop_copy(self, template: Template) -> None:
        if template.pg_database is not None:
            self._drop(copy_name(template))

    def recreate_database(self, pg_url: str, name: str, template: str | None = None) -> str:
        """Drop and create database `name` (from `template`); its URL (schema public)."""
        self._drop(name, pg_url)
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._admin_engine(pg_url).connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
        url = sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg", database=name)
        url = url.update_query_dict({"options": NO_FLUSH_WAIT})
        return url.render_as_string(hide_password=False)

    def _drop(self, name: str, pg_url: str | None = None) -> None:
        with self._admin_engine(pg_url).connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def _admin_engine(self, pg_url: str | None) -> sa.Engine:
        """Connected to TEST_DATABASE_URL's own database, in autocommit (CREATE DATABASE)."""
        if self._admin is None:
            url = sa.engine.make_url(pg_url).set(drivername="postgresql+psycopg")
            self._admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        return self._admin

    def close(self) -> None:
        for template in self._built.values():
            if template.pg_database is not None:
                self._drop(template.pg_database)
        if self._admin is not None:
            self._admin.dispose()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._built.clear()

    @staticmethod
    def _config(uri: str, instance: Path) -> dict:
        return {
            "SQLALCHEMY_DATABASE_URI": uri,
            "INSTANCE_PATH": str(instance),
            "BASE_URL": BASE_URL,
        }


def copy_sqlite(source: Path, path: Path) -> None:
    """A SQLite file copied to `path`, in place of whatever a previous test left there.

    The copy is a new file moved into place, never written into the old one: an engine a
    test forgot to close still holds the old file, and SQLite would take writing into it
    under that engine for a broken disk ("disk I/O error"). The old write-ahead log goes
    too, or SQLite would replay it into the new file.
    """
    fresh = path.with_name(path.name + ".new")
    shutil.copyfile(source, fresh)
    if path.exists():
        shutil.copymode(path, fresh)  # the mode create_app gave it (private_file)
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    fresh.replace(path)


def template_database_name(pg_url: str, suffix: str) -> str:
    """`<TEST_DATABASE_URL's database>_<suffix>`: a run's own, beside its main database.
    A name longer than PostgreSQL's 63 characters keeps a hash of the whole, so two
    workers' names never become the same when cut."""
    base = sa.engine.make_url(pg_url).database
    return _fitted(re.sub(r"\W", "_", f"{base}_{suffix}"), 63)


def copy_name(template: Template) -> str:
    return _fitted(template.pg_database + "_copy", 63)


def _fitted(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f"{name[: limit - 11]}_{digest}"


def dirty_tables(conn, tables: list[sa.Table]) -> list[str]:
    """The tables holding at least one row: one query, whoever wrote them (threads,
    subprocesses, servers), which listening to our own session could not see."""
    probes = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
    )
    return list(conn.execute(sa.text(probes)).scalars())


def restart_used_sequences(conn) -> None:
    """Sequences that handed out a value, back to their start (a rolled-back insert too)."""
    conn.execute(
        sa.text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
            " FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
    )


def empty_written_tables(engine: sa.Engine, tables: list[sa.Table]) -> None:
    """Empty what the test wrote: the tables with rows, and the sequences it used.

    DELETE, children before parents, is ten times cheaper here than TRUNCATE (which makes
    new files for each table and its indexes); TRUNCATE ... CASCADE stays the way out if
    rows ever refer to each other in a circle.
    """
    with engine.begin() as conn:
        dirty = set(dirty_tables(conn, tables))
    try:
        with engine.begin() as conn:
            for table in reversed(tables):  # sorted_tables: parents first
                if table.name in dirty:
                    conn.execute(table.delete())
            restart_used_sequences(conn)
    except sa.exc.IntegrityError:
        with engine.begin() as conn:
            names = ", ".join(f'"{name}"' for name in dirty)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            restart_used_sequences(conn)


TEMPLATES = Templates()
