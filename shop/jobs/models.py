"""What the job queue has done: one row per run of a scheduled job (and of a job staff
started), the record that lets every worker agree a period's run is taken."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import Base, UTCDateTime, utcnow

RUNNING = "running"
DONE = "done"
FAILED = "failed"


class JobRun(Base):
    """A job's run for one period ("2026-12-01T17:52" for a job run every minute,
    "2026-12-01" for a daily one, "asked:<time>" for a run staff asked for).

    (name, period) is unique: the worker whose INSERT wins runs the job; any other
    scheduler that reaches the same period finds the row and leaves it.
    """

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("name", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    period: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(12), default=RUNNING)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(sa.String(500))
    error: Mapped[str | None] = mapped_column(sa.String(2000))
    host: Mapped[str | None] = mapped_column(sa.String(120))

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
