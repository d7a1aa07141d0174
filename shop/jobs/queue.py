"""The job queue: huey, on Redis in production and on a SQLite file in the instance folder
in the embedded default (huey's immediate mode in the tests: a job runs at once, in its
own app context and session, where it would be queued).

A job queued by a use case runs after its transaction commits, never before, and not at
all when it rolls back (enqueue_after_commit): a worker must never see a half-made order
or mail for an order that was never placed.
"""

import importlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy.orm import Session

from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.jobs import runs, schedule
from shop.jobs.registry import JOBS
from shop.private_files import private_file

log = logging.getLogger("shop.jobs")

AFTER_COMMIT = "jobs_after_commit"  # session.info key: jobs waiting for the commit
READY = "jobs_committed"  # and those whose transaction committed, sent when it has ended
SAVEPOINTS = "jobs_savepoints"  # savepoint -> how many jobs were waiting when it began
BACKENDS = ("immediate", "sqlite", "redis")
JOB_RETRIES = 3
JOB_RETRY_DELAY = 30  # seconds before a failed job is tried again
# A run still "running" after this long died with its worker; staff may ask again.
ASKED_RUN_LIMIT = timedelta(hours=1)


class Queue:
    """The app's huey instance and its task for every job name."""

    def __init__(self, huey, tasks: dict):
        self.huey = huey
        self.tasks = tasks


def init_app(app: Flask) -> None:
    huey = make_huey(app)
    tasks = {name: _task(huey, app, name) for name in JOBS}
    huey.periodic_task(crontab(), name="jobs.tick")(_in_context(app, tick))
    app.extensions["jobs"] = Queue(huey, tasks)
    for event, listener in (
        ("after_transaction_create", _mark_savepoint),
        ("after_commit", _ready_after_commit),
        ("after_soft_rollback", _drop),
        ("after_transaction_end", _send_when_done),
    ):
        if not sa.event.contains(Session, event, listener):
            sa.event.listen(Session, event, listener)


def backend_of(config) -> str:
    backend = config.get("JOBS_BACKEND") or ("redis" if config.get("REDIS_URL") else "sqlite")
    if backend not in BACKENDS:
        from shop.configuration.loading import ConfigurationError

        raise ConfigurationError(
            f"STORE_JOBS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}."
        )
    return backend


def make_huey(app: Flask):
    backend = backend_of(app.config)
    if backend == "immediate":
        return MemoryHuey("store", immediate=True, results=False)
    if backend == "redis":
        from redis import ConnectionPool

        # Short timeouts: a Redis that does not answer must not hang a page or /healthz.
        pool = ConnectionPool.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=10
        )
        return RedisHuey("store", connection_pool=pool, results=False)
    path = Path(app.instance_path) / "jobs.sqlite3"
    private_file(path)  # SQLite gives its -wal and -shm files the same mode
    return SqliteHuey("store", filename=str(path), results=False, timeout=10)


def queue() -> Queue:
    return current_app.extensions["jobs"]


def enqueue(name: str, *args, run_id: int | None = None) -> None:
    """Queue job `name` now (a command, a job, a page whose work is committed)."""
    queue().tasks[name](*args, run_id=run_id)


def enqueue_after_commit(name: str, *args) -> None:
    """Queue job `name` once the current transaction commits (once per transaction)."""
    waiting = db.session.info.setdefault(AFTER_COMMIT, [])
    if (name, args) not in waiting:
        waiting.append((name, args))


def _ready_after_commit(session) -> None:
    """Committed: its jobs may go, once the transaction has let go of its connection (in
    immediate mode a job runs at once, in a session of its own, and must not wait for a
    second connection while this one is held)."""
    ready = session.info.pop(AFTER_COMMIT, [])
    if ready:
        session.info.setdefault(READY, []).extend(ready)


def _mark_savepoint(session, transaction) -> None:
    """A savepoint begins: the jobs queued inside it are those after this mark."""
    if transaction.nested:
        waiting = session.info.get(AFTER_COMMIT, ())
        session.info.setdefault(SAVEPOINTS, {})[transaction] = len(waiting)


def _send_when_done(session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    # Still waiting at the end means never committed (a commit moved them to READY).
    session.info.pop(AFTER_COMMIT, None)
    session.info.pop(SAVEPOINTS, None)
    for name, args in session.info.pop(READY, []):
        try:
            enqueue(name, *args)
        except Exception:  # the work is committed; the scheduled run picks it up later
            log.exception("could not queue job %s; its periodic run will do it", name)


def _drop(session, previous_transaction) -> None:
    """A rollback drops the jobs it undid: a savepoint's own, or all of them (SQLAlchemy's
    after_rollback fires for a savepoint too, and would drop the outer transaction's)."""
    if previous_transaction.parent is None:  # the transaction itself
        session.info.pop(AFTER_COMMIT, None)
        return
    if not previous_transaction.nested:  # a flush's inner marker: its savepoint decides
        return
    mark = session.info.get(SAVEPOINTS, {}).pop(previous_transaction, None)
    waiting = session.info.get(AFTER_COMMIT)
    if mark is not None and waiting:
        del waiting[mark:]


def run_job(name: str, *args, run_id: int | None = None) -> str:
    """Run job `name` here and now, recording the outcome on its run when it has one."""
    module, _, attribute = JOBS[name].partition(":")
    function = getattr(importlib.import_module(module), attribute)
    try:
        result = function(*args)
    except Exception as error:
        db.session.rollback()
        log.exception("job %s failed", name)
        if run_id is not None:
            runs.finish(run_id, error=f"{type(error).__name__}: {error}")
        raise  # huey tries it again later
    log.info("job %s: %s", name, result)
    if run_id is not None:
        runs.finish(run_id, result=result)
    return result


def tick(now: datetime | None = None) -> list[str]:
    """Queue every scheduled job whose period has no run yet; the names queued."""
    now = now or utcnow()
    due = schedule.due(now, ZoneInfo(current_app.config["TIMEZONE"]))
    taken = runs.periods_taken(due)
    queued = []
    for name, period in due:
        if (name, period) in taken or not runs.finished(schedule.waits_for(name), period):
            continue
        run_id = runs.claim(name, period)
        if run_id is None:
            continue
        try:
            enqueue(name, run_id=run_id)
        except Exception:
            # Claimed but not queued: give the period back, or no later tick would queue
            # it (a day's reports lost to a Redis blip); the next job is still tried.
            log.exception("could not queue job %s for %s; the next tick tries again", name, period)
            runs.release(run_id)
            continue
        queued.append(name)
    return queued


def ask(name: str) -> int | None:
    """Staff asked for job `name` now: its run's id, or None when a run of it is still
    going (asked twice, or the schedule's run); DomainError when the queue does not
    answer (the run is then recorded failed)."""
    if runs.is_running(name, within=ASKED_RUN_LIMIT):  # the schedule's run, say
        db.session.rollback()
        return None
    run_id = runs.claim_asked(name, given_up_after=ASKED_RUN_LIMIT)
    if run_id is None:
        return None
    try:
        enqueue(name, run_id=run_id)
    except Exception as error:  # recorded as failed, or it would look "running" for an hour
        log.exception("could not queue job %s", name)
        runs.finish(run_id, error=f"could not be queued: {type(error).__name__}")
        raise DomainError(
            "It could not be queued (the job queue does not answer); try again later."
        ) from error
    return run_id


def health() -> str | None:
    """None when the queue's storage answers, else what went wrong (for /healthz)."""
    try:
        queue().huey.pending_count()
    except Exception as error:
        return f"job queue unreachable: {type(error).__name__}"
    return None


def _task(huey, app: Flask, name: str):
    def run(*args, run_id=None):
        with app.app_context():
            try:
                return run_job(name, *args, run_id=run_id)
            finally:
                db.session.remove()

    run.__name__ = name
    return huey.task(name=name, retries=JOB_RETRIES, retry_delay=JOB_RETRY_DELAY)(run)


def _in_context(app: Flask, function):
    def run():
        with app.app_context():
            try:
                return function()
            finally:
                db.session.remove()

    return run
