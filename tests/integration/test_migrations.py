"""`flask db upgrade` builds exactly the schema the models describe, on both databases."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from shop.extensions import db
from tests.conftest import ensure_schema, make_app, pg_url_for_worker

# SQLite cannot reflect the expression index on lower(email) (the migration writes it by
# hand for the reports' customer queries); that is all these warnings say.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning",
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning",
)


@pytest.fixture
def empty_app(database, tmp_path, pg_state, worker_name):
    if database == "sqlite":
        app = make_app(database, tmp_path, pg_state)
    else:
        schema = f"{worker_name}_migrations"
        url = pg_url_for_worker(schema)
        ensure_schema(url, schema)  # dropped and made anew: empty
        app = make_app(database, tmp_path, pg_state, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_build_the_models_schema(empty_app):
    upgrade()
    assert schema_differences() == []


def test_migrations_go_down_and_up_again(empty_app):
    upgrade()
    downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert schema_differences() == []
