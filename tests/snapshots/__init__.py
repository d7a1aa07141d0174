"""Databases of earlier releases, kept as data, so a test can upgrade them.

Each released schema revision gets one file here, `<revision>.json.gz`: the
demo store as `flask seed-demo` built it at that revision, table by table. A
test loads it into an empty database migrated to that revision, then runs
`flask db upgrade` over it, as a shop that installed that release would.

Write the file for a revision right after it is released, on a database
migrated to exactly that revision and seeded by the code of that release:

    STORE_INSTANCE_PATH=/tmp/snap .venv/bin/flask --app shop db upgrade
    STORE_INSTANCE_PATH=/tmp/snap .venv/bin/flask --app shop seed-demo
    STORE_INSTANCE_PATH=/tmp/snap .venv/bin/python -m tests.snapshots dump
"""

import base64
import datetime as dt
import decimal
import gzip
import json
from pathlib import Path

import sqlalchemy as sa

FOLDER = Path(__file__).resolve().parent


def path_for(revision: str) -> Path:
    return FOLDER / f"{revision}.json.gz"


def dump(engine: sa.Engine, revision: str) -> Path:
    """Write every table's rows of the database at `revision` to its snapshot file."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    tables = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = [c for c in table.primary_key.columns] or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).mappings()
            tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    path = path_for(revision)
    data = json.dumps({"revision": revision, "tables": tables}, sort_keys=True)
    path.write_bytes(gzip.compress(data.encode(), mtime=0))
    return path


def load(engine: sa.Engine, revision: str) -> dict[str, int]:
    """Insert the snapshot of `revision` into a database migrated to it; rows per table."""
    snapshot = json.loads(gzip.decompress(path_for(revision).read_bytes()))
    metadata = sa.MetaData()
    metadata.reflect(engine)
    counts = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = snapshot["tables"].get(table.name, [])
            if rows:
                conn.execute(table.insert(), [_decode_row(table, row) for row in rows])
            counts[table.name] = len(rows)
        if engine.dialect.name == "postgresql":
            _move_sequences_past_rows(conn, metadata)
    return counts


def _encode(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decode_row(table: sa.Table, row: dict) -> dict:
    return {name: _decode(table.columns[name].type, value) for name, value in row.items()}


def _decode(column_type, value):
    if value is None:
        return None
    if isinstance(column_type, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column_type, sa.Date):
        return dt.date.fromisoformat(value)
    if isinstance(column_type, sa.Time):
        return dt.time.fromisoformat(value)
    if isinstance(column_type, sa.LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        return decimal.Decimal(value)
    return value


def _move_sequences_past_rows(conn, metadata: sa.MetaData) -> None:
    # Rows came in with their ids; the next id the database hands out must follow them.
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, sa.Integer) and column.autoincrement:
                top = f'coalesce((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1'
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence(:t, :c), {top}, false)"),
                    {"t": table.name, "c": column.name},
                )
