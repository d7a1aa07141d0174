"""Recording job runs, and the claim that makes a scheduled job run once per period."""

import logging
import socket
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shop.db import utcnow
from shop.extensions import db
from shop.jobs.models import DONE, FAILED, RUNNING, JobRun

log = logging.getLogger("shop.jobs")
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
ASKED = "asked"  # the period of a run staff asked for, while it runs


def claim(name: str, period: str) -> int | None:
    """Record that `name` runs for `period`, in a transaction of its own; the run's id,
    or None when another worker recorded it first.

    INSERT ... ON CONFLICT DO NOTHING: of two schedulers inserting the same (name, period)
    at the same moment, the database lets exactly one row in, and the other's insert
    returns nothing (PostgreSQL waits for the first to commit, then skips).
    """
    insert = INSERTS[db.engine.dialect.name]
    statement = (
        insert(JobRun)
        .values(name=name, period=period, status=RUNNING, started_at=utcnow(), host=_host())
        .on_conflict_do_nothing(index_elements=["name", "period"])
        .returning(JobRun.id)
    )
    run_id = db.session.scalar(statement)
    db.session.commit()
    return run_id


def claim_asked(name: str, *, given_up_after: timedelta) -> int | None:
    """Record a run of `name` that staff asked for; None when one asked for is still
    going. While it runs its period is ASKED, so of two presses at the same moment the
    database lets one in (the unique (name, period)); finishing gives it a period of its
    own. One left running longer than `given_up_after` died with its worker: it is
    marked failed, and the new one goes ahead."""
    run_id = claim(name, ASKED)
    if run_id is None and _give_up(name, given_up_after):
        run_id = claim(name, ASKED)
    return run_id


def _give_up(name: str, after: timedelta) -> bool:
    stale = db.session.scalar(
        sa.select(JobRun).where(
            JobRun.name == name, JobRun.period == ASKED, JobRun.started_at < utcnow() - after
        )
    )
    if stale is not None:
        stale.status, stale.error = FAILED, "given up: no worker finished it"
        stale.period, stale.finished_at = _asked_period(stale), utcnow()
    db.session.commit()
    return stale is not None


def _asked_period(run: JobRun) -> str:
    return f"asked:{run.started_at:%Y-%m-%dT%H:%M:%S.%f}"


def finish(run_id: int, *, result: str | None = None, error: str | None = None) -> None:
    db.session.rollback()  # whatever the job left unfinished is not kept
    run = db.session.get(JobRun, run_id, populate_existing=True)
    if run is not None:
        run.status, run.finished_at = (FAILED if error else DONE), utcnow()
        run.result = (result or "")[:500] or None
        run.error = error[:2000] if error else None
        if run.period == ASKED:
            run.period = _asked_period(run)  # the next press may claim ASKED again
    db.session.commit()


def release(run_id: int) -> None:
    """Forget a claim whose job could not be queued, so its period may be claimed again
    (a database that fails here too leaves the claim; the error is logged, not raised)."""
    try:
        db.session.rollback()
        db.session.execute(sa.delete(JobRun).where(JobRun.id == run_id, JobRun.status == RUNNING))
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.exception("could not release the claim of run %s", run_id)


def finished(name: str | None, period: str) -> bool:
    """Whether job `name` (None: no job) has run for `period` and is done with it, well or
    not (a failed forecast must not hold the reorder list back for good)."""
    if name is None:
        return True
    status = db.session.scalar(
        sa.select(JobRun.status).where(JobRun.name == name, JobRun.period == period)
    )
    db.session.commit()
    return status in (DONE, FAILED)


def latest(name: str) -> JobRun | None:
    return db.session.scalar(
        sa.select(JobRun).where(JobRun.name == name).order_by(JobRun.started_at.desc()).limit(1)
    )


def is_running(name: str, *, within: timedelta) -> bool:
    """A run of `name` started in the last `within` and not finished (staff asked twice)."""
    return (
        db.session.scalar(
            sa.select(JobRun.id)
            .where(
                JobRun.name == name,
                JobRun.status == RUNNING,
                JobRun.started_at > utcnow() - within,
            )
            .limit(1)
        )
        is not None
    )


def purge_before(moment) -> int:
    """Forget runs that started before `moment`; returns how many."""
    result = db.session.execute(sa.delete(JobRun).where(JobRun.started_at < moment))
    return result.rowcount


def _host() -> str:
    return socket.gethostname()[:120]


def periods_taken(wanted: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (name, period) pairs already have a run (one cheap read per tick)."""
    if not wanted:
        return set()
    rows = db.session.execute(
        sa.select(JobRun.name, JobRun.period).where(
            sa.tuple_(JobRun.name, JobRun.period).in_(wanted)
        )
    ).all()
    db.session.commit()
    return {(row.name, row.period) for row in rows}
