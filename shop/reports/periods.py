"""The days a report covers, the period before it to compare with, and how they are
turned into UTC bounds and day/week/month buckets in SQL.

A period is a range of the store's local days, both ends included. Its UTC bounds are
exact (zoneinfo); the buckets group by local day on PostgreSQL (AT TIME ZONE) and, on
SQLite, which has no time zones, by the store's current UTC offset.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from shop.clock import store_zone
from shop.extensions import db

PRESETS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "365d": "Last 365 days",
    "mtd": "This month",
    "ytd": "This year",
    "custom": "Chosen days",
}
DEFAULT_PRESET = "30d"
GRAINS = {"day": "Day", "week": "Week", "month": "Month"}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The same number of days just before this period."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC: midnight local time on the first day and after the last."""
        zone = store_zone()
        first = datetime.combine(self.start, time(), zone)
        after = datetime.combine(self.end + timedelta(days=1), time(), zone)
        return first.astimezone(UTC), after.astimezone(UTC)

    def default_grain(self) -> str:
        if self.days <= 31:
            return "day"
        return "week" if self.days <= 120 else "month"

    def buckets(self, grain: str) -> list[date]:
        """The first day of every bucket of the period, so empty days still show as 0."""
        first = bucket_start(self.start, grain)
        found = []
        while first <= self.end:
            found.append(first)
            first = next_bucket(first, grain)
        return found


def preset_period(preset: str, today: date) -> Period:
    """A named period ending today ("mtd" and "ytd" start on the 1st)."""
    if preset == "mtd":
        return Period(today.replace(day=1), today)
    if preset == "ytd":
        return Period(today.replace(month=1, day=1), today)
    days = int(preset.removesuffix("d")) if preset in PRESETS and preset != "custom" else 30
    return Period(today - timedelta(days=days - 1), today)


def bucket_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday
    if grain == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: date, grain: str) -> date:
    if grain == "week":
        return day + timedelta(days=7)
    if grain == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def local_bucket(column, grain: str):
    """SQL for the first local day of the day/week/month a UTC timestamp falls in.

    Returns a date on PostgreSQL and a 'YYYY-MM-DD' text on SQLite; `as_date` reads both.
    """
    if db.engine.dialect.name == "postgresql":
        local = sa.func.timezone(current_app.config["TIMEZONE"], column)
        return sa.cast(sa.func.date_trunc(grain, local), sa.Date)
    offset = datetime.now(store_zone()).utcoffset() or timedelta()
    shift = f"{int(offset.total_seconds() // 60):+d} minutes"
    if grain == "week":
        return sa.func.date(column, shift, "-6 days", "weekday 1")
    if grain == "month":
        return sa.func.date(column, shift, "start of month")
    return sa.func.date(column, shift)


def local_day(moment: datetime | str) -> date:
    """The store's day of a UTC moment (SQLite hands aggregates of timestamps back as text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(store_zone()).date()


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
