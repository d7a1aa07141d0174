"""/healthz: 200 when the database, Redis (when set) and the job queue answer, else 503."""

import socket

import pytest
import sqlalchemy as sa

from shop.extensions import db
from tests.conftest import make_app

REDIS_URL = "redis://127.0.0.1:6379/7"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health_of(app):
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.session.remove()
        db.engine.dispose()
    return response


def test_a_healthy_store_answers_200_and_is_never_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "jobs": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_no_login_and_no_rate_limit(app_with_limits):
    client = app_with_limits.test_client()
    statuses = {client.get("/healthz").status_code for _ in range(30)}
    assert statuses == {200}


@pytest.fixture
def app_with_limits(app):
    app.config["RATELIMIT_ENABLED"] = True
    return app


def test_the_database_down_is_503_without_telling_where_it_is(database, tmp_path, pg_state):
    if database == "sqlite":  # a file in a folder that does not exist cannot be opened
        url = f"sqlite:///{tmp_path / 'no such folder' / 'store.db'}"
    else:
        url = sa.engine.make_url(pg_state["url"]).set(database="no_such_database")
        url = url.render_as_string(hide_password=False)
    app = make_app(database, tmp_path, pg_state, SQLALCHEMY_DATABASE_URI=url)
    response = health_of(app)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "failing"
    assert body["checks"]["database"].startswith("database unreachable: ")
    assert body["checks"]["jobs"] == "ok"
    assert "no such" not in response.text and "127.0.0.1" not in response.text


def test_redis_down_is_503(database, tmp_path, pg_state):
    url = f"redis://:s3cret-password@127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app(database, tmp_path, pg_state, REDIS_URL=url)
    with app.app_context():
        db.create_all()
    response = health_of(app)
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("redis unreachable: ")
    assert "s3cret" not in response.text and str(url) not in response.text


def test_redis_up_is_checked_too(database, tmp_path, pg_state):
    app = make_app(database, tmp_path, pg_state, REDIS_URL=REDIS_URL)
    with app.app_context():
        db.create_all()
    response = health_of(app)
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok", "jobs": "ok"}


def test_the_job_queue_down_is_503(database, tmp_path, pg_state):
    url = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(database, tmp_path, pg_state, REDIS_URL=url, JOBS_BACKEND="redis")
    with app.app_context():
        db.create_all()
    response = health_of(app)
    assert response.status_code == 503
    assert response.get_json()["checks"]["jobs"].startswith("job queue unreachable")


def test_another_host_is_still_refused(client):
    # The load balancer's health check sends the store's Host header (README, Health).
    assert client.get("/healthz", base_url="http://elsewhere.example").status_code == 400
