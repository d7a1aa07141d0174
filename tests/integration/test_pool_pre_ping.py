"""A connection the database dropped is replaced, not a 500 for the next request."""

import secrets

import pytest
import sqlalchemy as sa

from shop.extensions import db
from tests.conftest import PG_URL, make_app


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_the_next_request_after_postgresql_dropped_the_connections_is_served(tmp_path, pg_state):
    # Only this app's connections are ended: they carry an application_name of their own.
    name = "pre-ping-" + secrets.token_hex(4)
    url = sa.engine.make_url(pg_state["url"]).update_query_dict({"application_name": name})
    app = make_app(
        "postgresql", tmp_path, pg_state,
        SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False),
    )  # fmt: skip
    with app.app_context():
        if not pg_state["created"]:
            db.create_all()
            pg_state["created"] = True
        client = app.test_client()
        assert client.get("/").status_code == 200  # a pooled connection now waits

        killer = sa.create_engine(url.update_query_dict({"application_name": "killer"}))
        with killer.begin() as conn:
            ended = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": name},
            ).scalar()
        killer.dispose()
        assert ended >= 1

        assert client.get("/").status_code == 200
        assert client.get("/").status_code == 200
        db.session.remove()
        db.engine.dispose()
