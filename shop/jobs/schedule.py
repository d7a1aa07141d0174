"""When the store's chores run. Every worker's scheduler looks at this list once a minute
(the huey task "jobs.tick"); a job is due when its period (this minute, these five
minutes, today after its hour) has no run yet, and the first scheduler to record the
run in the database (shop.jobs.runs.claim) queues it. So each job runs once per period
however many workers run the schedule, and a store that was switched off at 06:00 sends
its morning reports when it comes back.

Daily hours are the store's own time (TIMEZONE), not the server's.
"""

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Every:
    """Every N minutes, periods counted from midnight UTC."""

    minutes: int

    def period(self, now: datetime, _timezone: ZoneInfo) -> str | None:
        utc = now.astimezone(ZoneInfo("UTC"))
        minute = (utc.hour * 60 + utc.minute) // self.minutes * self.minutes
        return f"{utc:%Y-%m-%d}T{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Daily:
    """Once a day, at or after the given store time; with `after`, not before that job's
    run of the same day has finished (the reorder list reads the night's forecasts)."""

    at: time
    after: str | None = None

    def period(self, now: datetime, timezone: ZoneInfo) -> str | None:
        local = now.astimezone(timezone)
        return f"{local:%Y-%m-%d}" if local.time() >= self.at else None


# name (as in shop.jobs.registry) -> when.
SCHEDULE = {
    "outbox.deliver": Every(minutes=1),  # retries; new mail is queued right after commit
    "orders.expire": Every(minutes=1),
    "backorders.allocate": Every(minutes=5),
    "refunds.retry": Every(minutes=5),
    "forecasts.refresh": Daily(at=time(2, 30)),
    "housekeeping.purge": Daily(at=time(3, 30)),
    "backorders.report": Daily(at=time(6, 0)),
    "reorder.report": Daily(at=time(6, 0), after="forecasts.refresh"),
    "payouts.demo": Daily(at=time(6, 0)),
}


def due(now: datetime, timezone: ZoneInfo) -> list[tuple[str, str]]:
    """(job name, period) for every job whose period has begun at `now`."""
    found = ((name, when.period(now, timezone)) for name, when in SCHEDULE.items())
    return [(name, period) for name, period in found if period is not None]


def waits_for(name: str) -> str | None:
    """The job whose run of the same period `name` must wait for, if any."""
    return getattr(SCHEDULE.get(name), "after", None)


def describe(when) -> str:
    """ "every minute", "every 5 minutes", "daily from 06:00" (store time)."""
    if isinstance(when, Every):
        return "every minute" if when.minutes == 1 else f"every {when.minutes} minutes"
    return f"daily from {when.at:%H:%M}"
