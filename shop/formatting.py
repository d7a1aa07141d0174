"""What people read: money, dates, times, counts and percentages in the store's locale
and time zone (config LOCALE, TIMEZONE, BASE_CURRENCY).

Pages, emails and the back office format through here, so a date looks the same
everywhere; the templates know these as the filters money, datetime, date, number and
percent (registered in shop.storefront.helpers).
"""

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from flask import current_app

from shop.clock import store_zone
from shop.money import format_money

# Babel's formatting is the costliest part of a product card; the same prices
# come back on every listing, and the result depends only on the arguments.
_formatted_money = lru_cache(maxsize=4096)(format_money)


def money(minor: int | None, currency: str | None = None) -> str:
    if minor is None:
        return ""
    cfg = current_app.config
    return _formatted_money(minor, currency or cfg["BASE_CURRENCY"], cfg["LOCALE"])


def local_datetime(value: datetime | None, format: str = "medium") -> str:
    """A UTC timestamp shown in the store's time zone and locale."""
    if value is None:
        return ""
    cfg = current_app.config
    return format_datetime(value, format, tzinfo=store_zone(), locale=cfg["LOCALE"])


def local_date(value: date | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format, locale=current_app.config["LOCALE"])


def local_number(value, digits: int = 1) -> str:
    """A count or a measure in the store's locale (1,234.5); blank for none."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=current_app.config["LOCALE"])


def local_percent(fraction, pattern: str = "#,##0.0%") -> str:
    """0.1234 as 12.3% in the store's locale; blank when there is no base to divide by.
    A tax rate keeps its decimals: pattern "#,##0.0##%" shows 0.09975 as 9.975%."""
    if fraction is None:
        return ""
    return format_percent(fraction, format=pattern, locale=current_app.config["LOCALE"])
