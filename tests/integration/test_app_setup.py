"""How the application starts: configuration layers, secrets, database settings, limits."""

import pytest
import sqlalchemy as sa

from shop import create_app
from shop.configuration.loading import ConfigurationError
from shop.extensions import db
from tests.conftest import log_in


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("STORE_ENV", "production")
    monkeypatch.setenv("STORE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("STORE_BASE_URL", "https://shop.example.com")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "dev")
    with pytest.raises(ConfigurationError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("STORE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("STORE_ENV", raising=False)
    first = create_app().config["SECRET_KEY"]
    assert len(first) == 64
    assert (tmp_path / "secret_key").read_text() == first
    assert create_app().config["SECRET_KEY"] == first


def test_environment_and_instance_config_override_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("STORE_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text('STORE_NAME = "Corner Shop"\nLOW_STOCK_THRESHOLD = 9\n')
    monkeypatch.setenv("STORE_LOW_STOCK_THRESHOLD", "3")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal/store")
    app = create_app()
    assert app.config["STORE_NAME"] == "Corner Shop"
    assert app.config["LOW_STOCK_THRESHOLD"] == 3
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal/store"


def test_sqlite_runs_with_wal_and_foreign_keys(app, database):
    if database != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_attempts_are_rate_limited(client, customer):
    for _ in range(3):
        assert log_in(client, customer.email, "wrong guess 123").status_code == 401
    response = log_in(client, customer.email)  # even the right password now waits
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert client.get("/account/login").status_code == 200  # the page itself still opens


def test_user_rows_keep_aware_timestamps(app, customer):
    created = db.session.scalar(sa.select(type(customer).created_at))
    assert created.tzinfo is not None
