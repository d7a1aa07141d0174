"""The app a test hands on to the next (tests/app_shelf.py) comes back as it was made:
what one test changed must not be seen by the next."""

import logging
import os

import sqlalchemy as sa

from shop.catalogue.models import Category
from shop.extensions import db, limiter
from tests.app_shelf import AppShelf
from tests.conftest import app_on, make_app


def test_a_kept_app_comes_back_with_its_settings_files_and_limits_as_made(
    database, tmp_path, pg_state, monkeypatch
):
    shelf = AppShelf()
    monkeypatch.setattr("tests.conftest.SHELF", shelf)
    with app_on(database, tmp_path, pg_state, RATELIMIT_ENABLED=True) as first:
        first.config["STORE_NAME"] = "Changed by a test"
        first.config["TRUSTED_HOSTS"].append("evil.example")
        left_behind = first.instance_path + "/left-behind.txt"
        open(left_behind, "w").close()
        db.session.add(Category(name="Left behind", slug="left-behind"))
        db.session.commit()
        client = first.test_client()
        codes = [client.post("/orders/track", data={}).status_code for _ in range(12)]
        assert 429 in codes  # the limit was reached in this test
    # another kind of app made in between resets the process's limiter
    with app_on(database, tmp_path, pg_state, RATELIMIT_ENABLED=False) as between:
        assert between is not first and not limiter.enabled
    with app_on(database, tmp_path, pg_state, RATELIMIT_ENABLED=True) as second:
        assert second is first  # the same app, handed on
        assert second.config["STORE_NAME"] != "Changed by a test"
        assert "evil.example" not in second.config["TRUSTED_HOSTS"]
        assert not (tmp_path / "instance").exists()  # its files are the shelf's
        assert not os.path.exists(left_behind)
        assert db.session.scalar(sa.select(sa.func.count(Category.id))) == 0
        assert limiter.enabled
        assert second.test_client().post("/orders/track", data={}).status_code != 429
    shelf.close()


def test_an_app_a_test_added_a_route_to_is_not_handed_on(database, tmp_path, pg_state, monkeypatch):
    shelf = AppShelf()
    monkeypatch.setattr("tests.conftest.SHELF", shelf)
    with app_on(database, tmp_path, pg_state) as first:
        first.add_url_rule("/only-for-this-test", "only_for_this_test", lambda: "x")
    with app_on(database, tmp_path, pg_state) as second:
        assert second is not first
        assert second.test_client().get("/only-for-this-test").status_code == 404
    shelf.close()


def test_a_kept_app_writes_its_own_log_format_after_an_app_that_wrote_json(
    database, tmp_path, pg_state, monkeypatch
):
    shelf = AppShelf()
    monkeypatch.setattr("tests.conftest.SHELF", shelf)
    with app_on(database, tmp_path, pg_state) as first:
        assert first.config["LOG_FORMAT"] in (None, "text")
    make_app(database, tmp_path / "json", pg_state, LOG_FORMAT="json")
    with app_on(database, tmp_path, pg_state) as second:
        assert second is first
        handler = next(h for h in logging.getLogger().handlers if h.get_name() == "shop")
        record = logging.LogRecord("shop.access", logging.INFO, __file__, 1, "GET /", (), None)
        record.request_id = "r1"
        assert not handler.format(record).startswith("{")
    shelf.close()
