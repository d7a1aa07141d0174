"""Back office > Chores: the owner sees what the job worker did and when, and runs a
chore now; a second press while it runs starts nothing."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shop.accounts import roles
from shop.db import utcnow
from shop.extensions import db
from shop.jobs.models import RUNNING, JobRun
from shop.jobs.queue import tick
from tests.conftest import log_in


def owner_browser(app, staff):
    client = app.test_client()
    log_in(client, staff[roles.OWNER].email)
    return client


def row_of(page: str, name: str) -> str:
    start = page.index(f'data-chore="{name}"')
    return page[start : page.index("</tr>", start)]


def test_the_owner_sees_each_chore_with_its_last_run(app, staff):
    tick(datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC))  # 07:00 in Toronto: all are due
    page = owner_browser(app, staff).get("/admin/chores").get_data(as_text=True)
    expire = row_of(page, "orders.expire")
    assert "Release the stock of unpaid orders" in expire
    assert "every minute" in expire
    assert "done" in expire and "expired 0 unpaid orders" in expire
    assert "daily from 06:00" in row_of(page, "reorder.report")
    assert "never" in row_of(page, "backorders.repromise")  # only run when asked


def test_run_now_queues_the_chore_and_shows_what_it_did(app, staff):
    client = owner_browser(app, staff)
    response = client.post("/admin/chores/orders.expire/run", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "is queued" in page
    assert "expired 0 unpaid orders" in row_of(page, "orders.expire")
    run = db.session.scalar(sa.select(JobRun).where(JobRun.name == "orders.expire"))
    assert run.period.startswith("asked:") and run.status == "done"


def test_a_chore_still_running_is_not_started_again(app, staff):
    db.session.add(
        JobRun(name="forecasts.refresh", period="2026-12-01", status=RUNNING,
               started_at=utcnow() - timedelta(minutes=3))
    )  # fmt: skip
    db.session.commit()
    client = owner_browser(app, staff)
    page = client.post("/admin/chores/forecasts.refresh/run", follow_redirects=True)
    assert "is already running" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 1


def test_an_unknown_chore_is_refused_with_a_message(app, staff):
    page = owner_browser(app, staff).post("/admin/chores/rm -rf/run", follow_redirects=True)
    assert page.status_code == 200
    assert "There is no such chore." in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(JobRun.id))) == 0
