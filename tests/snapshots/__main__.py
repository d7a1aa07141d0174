"""`python -m tests.snapshots dump`: write the snapshot of the configured database."""

import sys

import sqlalchemy as sa

from shop import create_app
from shop.extensions import db
from tests.snapshots import dump

if sys.argv[1:] != ["dump"]:
    sys.exit("usage: python -m tests.snapshots dump")
app = create_app()
with app.app_context():
    with db.engine.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    print(dump(db.engine, revision))  # noqa: T201
