"""The store's time: its time zone, today's date there, and day boundaries.

Timestamps are kept in UTC (shop.db.utcnow); a day, a due date or a report period is a day
in the store's time zone (config TIMEZONE). Everything that turns one into the other
comes through here.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from shop.db import utcnow

# The days the store takes from people and files. The calendar's own first and last days
# (0001-01-01, 9999-12-31) leave no room for the day after, the period before or a time
# zone's offset.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)

__all__ = ["local_midnight", "store_date", "store_today", "store_zone", "utcnow"]


def store_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def store_today() -> date:
    return datetime.now(store_zone()).date()


def store_date(moment: datetime) -> date:
    """The store's calendar day of an aware timestamp (a sale at 23:30 in Toronto is that
    day, although it is the next day in UTC)."""
    return moment.astimezone(store_zone()).date()


def local_midnight(day: date) -> datetime:
    """The start of a day in the store's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=store_zone())
