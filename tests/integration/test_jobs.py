"""The job queue: a job queued by a use case runs after its transaction commits, never
before and never after a rollback, in huey's immediate mode (the tests' default) and with
a real consumer on the embedded SQLite queue and on Redis; a periodic job runs once per
period when schedulers race; a failing job is recorded and tried again."""

import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from shop import jobs
from shop.extensions import db
from shop.jobs import runs, schedule
from shop.jobs.models import DONE, FAILED, JobRun
from shop.jobs.queue import queue, run_job, tick
from shop.jobs.worker import consumer
from shop.notifications.models import PENDING, SENT, OutboxMessage
from shop.notifications.services import queue_email
from tests.conftest import app_on, make_app
from tests.integration.test_outbox import Inbox, free_port, mail_server_on

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own, emptied by the test


def write_mail(to="carla@example.com") -> OutboxMessage:
    return queue_email(
        to=to,
        subject="Reset your password",
        kind="password_reset",
        reset_url="http://x/r",
        user=SimpleNamespace(name="Carla"),
        minutes=60,  # as shop.accounts.services sends it
    )


def wait_for(condition, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def inbox():
    port = free_port()
    with mail_server_on(port, Inbox()) as received:
        received.url = f"smtp://127.0.0.1:{port}"
        yield received


# Immediate mode (TestConfig): the job runs at the commit, in its own session.


def test_mail_queued_in_a_transaction_leaves_only_when_it_commits(app, inbox):
    app.config["SMTP_URL"] = inbox.url
    message = write_mail()
    db.session.flush()
    assert inbox.messages == []  # written, not committed: nothing may leave yet
    db.session.commit()
    assert [m["Subject"] for m in inbox.messages] == ["Reset your password"]
    assert db.session.get(OutboxMessage, message.id).status == SENT


def test_mail_of_a_transaction_rolled_back_never_leaves(app, inbox):
    app.config["SMTP_URL"] = inbox.url
    write_mail()
    db.session.flush()
    db.session.rollback()
    db.session.commit()  # a later commit does not send what was rolled back
    assert inbox.messages == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_a_request_that_writes_mail_has_it_sent_when_it_commits(app, client, customer, inbox):
    app.config["SMTP_URL"] = inbox.url
    client.post("/account/forgot-password", data={"email": customer.email})
    assert [m["To"] for m in inbox.messages] == [customer.email]


def test_a_mail_server_down_at_commit_loses_nothing(app, client, customer):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    response = client.post("/account/forgot-password", data={"email": customer.email})
    assert response.status_code == 302
    message = db.session.scalar(sa.select(OutboxMessage))
    assert (message.status, message.attempts) == (PENDING, 1)  # kept, tried again later


# A real consumer: huey's own threads taking jobs from the embedded SQLite file or Redis.


@pytest.fixture(params=["sqlite", "redis"])
def queued_app(request, database, tmp_path, pg_state, inbox):
    """An app whose jobs go to a real queue, with a consumer running beside it."""
    backend = {"JOBS_BACKEND": request.param, "SMTP_URL": inbox.url}
    if request.param == "redis":
        backend["REDIS_URL"] = REDIS_URL
    with app_on(database, tmp_path, pg_state, **backend) as app:
        queue().huey.flush()
        running = consumer(app, workers=2, schedule=False)
        running.start()
        try:
            yield app
        finally:
            running.stop(graceful=True)
            queue().huey.flush()


def test_a_real_worker_sends_the_mail_after_the_commit_and_not_before(queued_app, inbox):
    write_mail()
    db.session.flush()
    time.sleep(1.5)  # a worker polling the queue all this time finds nothing to do
    assert queue().huey.pending_count() == 0
    assert inbox.messages == []
    db.session.commit()
    assert wait_for(lambda: len(inbox.messages) == 1)
    assert wait_for(lambda: _status_now() == SENT)  # recorded just after the server took it


def _status_now() -> str:
    db.session.rollback()  # read afresh what the worker committed
    return db.session.scalar(sa.select(OutboxMessage.status))


def test_a_real_worker_never_sees_a_job_of_a_rolled_back_transaction(queued_app, inbox):
    write_mail()
    db.session.flush()
    db.session.rollback()
    write_mail(to="second@example.com")
    db.session.commit()
    assert wait_for(lambda: len(inbox.messages) == 1)
    time.sleep(0.5)
    assert [m["To"] for m in inbox.messages] == ["second@example.com"]


def test_a_job_queued_while_the_worker_is_away_runs_when_it_is_back(
    database, tmp_path, pg_state, inbox
):
    with app_on(database, tmp_path, pg_state, JOBS_BACKEND="sqlite", SMTP_URL=inbox.url) as app:
        write_mail()
        db.session.commit()
        assert queue().huey.pending_count() == 1  # kept in instance/jobs.sqlite3
        assert inbox.messages == []
        running = consumer(app, workers=1, schedule=False)
        running.start()
        try:
            assert wait_for(lambda: len(inbox.messages) == 1)
        finally:
            running.stop(graceful=True)


# The schedule: due periods, and once per period however many schedulers.


def test_the_schedule_names_periods_per_minute_and_per_store_day():
    toronto = schedule.ZoneInfo("America/Toronto")
    at = datetime(2026, 12, 1, 17, 52, 41, tzinfo=UTC)  # 12:52 in Toronto
    assert schedule.Every(minutes=1).period(at, toronto) == "2026-12-01T17:52"
    assert schedule.Every(minutes=5).period(at, toronto) == "2026-12-01T17:50"
    assert schedule.Daily(at=schedule.time(6, 0)).period(at, toronto) == "2026-12-01"
    early = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 22:00 on Dec 1 in Toronto
    assert schedule.Daily(at=schedule.time(6, 0)).period(early, toronto) == "2026-12-01"
    before_six = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # 05:00 on Dec 2 in Toronto
    assert schedule.Daily(at=schedule.time(6, 0)).period(before_six, toronto) is None


def test_every_scheduled_job_is_a_registered_job():
    from shop.jobs.registry import JOBS

    assert set(schedule.SCHEDULE) <= set(JOBS)


def test_a_tick_queues_each_due_job_once_per_period(app):
    now = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)  # 07:00 in Toronto
    first = tick(now)
    assert sorted(first) == sorted(schedule.SCHEDULE)  # every job is due after 06:00
    # (the forecasts ran at once here, in immediate mode, before the reorder list's turn)
    assert first.index("forecasts.refresh") < first.index("reorder.report")
    assert tick(now + timedelta(seconds=20)) == []  # the same minute: nothing again
    later = tick(now + timedelta(minutes=1))
    assert sorted(later) == ["orders.expire", "outbox.deliver"]
    runs = db.session.scalars(sa.select(JobRun).where(JobRun.name == "orders.expire")).all()
    assert [r.period for r in runs] == ["2026-12-01T12:00", "2026-12-01T12:01"]
    assert {r.status for r in runs} == {DONE}
    assert runs[0].result.startswith("expired 0 unpaid orders")


def test_the_reorder_list_waits_for_the_night_s_forecasts(database, tmp_path, pg_state):
    """With a real queue the forecasts may still be running when the reorder list is due
    (a store switched on at 09:00 catches up both at once): the list waits a tick."""
    with app_on(database, tmp_path, pg_state, JOBS_BACKEND="sqlite"):
        queue().huey.flush()
        now = datetime(2026, 12, 1, 14, 0, 30, tzinfo=UTC)  # 09:00 in Toronto
        assert "reorder.report" not in tick(now)  # forecasts.refresh queued, not run yet
        forecasts = db.session.scalar(sa.select(JobRun).where(JobRun.name == "forecasts.refresh"))
        run_job("forecasts.refresh", run_id=forecasts.id)  # a worker does it
        assert tick(now + timedelta(minutes=1)).count("reorder.report") == 1
        queue().huey.flush()


def test_two_schedulers_at_the_same_moment_run_each_job_once(database, tmp_path, pg_state):
    """Two processes' schedulers tick at the same instant on the shared database (here two
    threads with apps of their own, each queueing to a real queue): each (job, period) is
    claimed once and queued once."""
    with app_on(database, tmp_path, pg_state, JOBS_BACKEND="sqlite") as app:
        queue().huey.flush()
        now = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)
        start = threading.Barrier(2)
        queued: list[list[str]] = []

        def scheduler():
            with app.app_context():
                start.wait(timeout=10)
                queued.append(tick(now))
                db.session.remove()

        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        # Every job but the reorder list, which waits for the forecasts to be done.
        expected = sorted(set(schedule.SCHEDULE) - {"reorder.report"})
        assert sorted(queued[0] + queued[1]) == expected
        names = db.session.scalars(sa.select(JobRun.name)).all()
        assert sorted(names) == expected
        assert queue().huey.pending_count() == len(expected)
        queue().huey.flush()


def test_a_failing_job_is_recorded_and_raised_for_the_queue_to_retry(app):
    run_id = runs.claim("forecasts.refresh", "2026-12-01")
    app.config["TIMEZONE"] = "Atlantis/Capital"  # the store's date cannot be known
    with pytest.raises(Exception, match="Atlantis"):
        run_job("forecasts.refresh", run_id=run_id)  # raised: huey tries it again later
    run = db.session.get(JobRun, run_id)
    assert run.status == FAILED
    assert "Atlantis/Capital" in run.error
    assert run.finished_at is not None


def test_health_reports_a_queue_it_cannot_reach(database, tmp_path, pg_state):
    app = make_app(
        database, tmp_path, pg_state, JOBS_BACKEND="redis",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
    )  # fmt: skip
    with app.app_context():
        assert "job queue unreachable" in jobs.health()
    good = make_app(database, tmp_path, pg_state, JOBS_BACKEND="redis", REDIS_URL=REDIS_URL)
    with good.app_context():
        assert jobs.health() is None


def test_jobs_run_by_hand_print_what_they_did(app, runner):
    result = runner.invoke(args=["jobs", "run", "orders.expire"])
    assert result.exit_code == 0, result.output
    assert "expired 0 unpaid orders" in result.output


def test_the_readme_names_every_scheduled_chore():
    from shop import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Jobs") : readme.index("### Long work")]
    for name in schedule.SCHEDULE:
        assert f"`{name}`" in section, name
