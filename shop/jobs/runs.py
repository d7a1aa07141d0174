"""Recording job runs, and the claim that makes a scheduled job run once per period."""

import socket
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shop.db import utcnow
from shop.extensions import db
from shop.jobs.models import DONE, FAILED, RUNNING, JobRun

INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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


def finish(run_id: int, *, result: str | None = None, error: str | None = None) -> None:
    db.session.rollback()  # whatever the job left unfinished is not kept
    db.session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            status=FAILED if error else DONE,
            finished_at=utcnow(),
            result=(result or "")[:500] or None,
            error=error[:2000] if error else None,
        )
    )
    db.session.commit()


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
