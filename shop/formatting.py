"""What people read: money, dates, times, counts and percentages in the store's locale
and time zone (config LOCALE, TIMEZONE, BASE_CURRENCY).

Pages, emails and the back office format through here, so a date looks the same
everywhere; the templates know these as the filters money, datetime, date, number,
percent and plural (registered in shop.storefront.helpers). The documents (shop/documents,
which import nothing of the app) write their dates in the same DATE_FORMAT.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_datetime_format
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


# One style for every date a person reads ("Mar 2, 2026" in en_CA), and for a moment the
# same date with the time to the minute ("Mar 2, 2026, 9:05 AM").
DATE_FORMAT = "medium"
TIME_FORMAT = "short"


def local_datetime(value: datetime | None, format: str | None = None) -> str:
    """A UTC timestamp shown in the store's time zone and locale: the date as local_date
    writes it and the time to the minute; `format` (a Babel name or pattern) only where a
    page needs another."""
    if value is None:
        return ""
    cfg = current_app.config
    if format is not None:
        return format_datetime(value, format, tzinfo=store_zone(), locale=cfg["LOCALE"])
    locale = Locale.parse(cfg["LOCALE"])
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    here = aware.astimezone(store_zone())
    day = format_date(here.date(), DATE_FORMAT, locale=locale)
    time = format_time(here, TIME_FORMAT, locale=locale)
    return get_datetime_format(DATE_FORMAT, locale=locale).replace("{1}", day).replace("{0}", time)


def full_stop(text: str) -> str:
    """The text ending its sentence with one full stop: a time written "3:18 a.m." in the
    store's locale already has it, and a second would read "3:18 a.m.."."""
    return text if text.endswith(".") else text + "."


def local_date(value: date | datetime | None, format: str = DATE_FORMAT) -> str:
    """A day in the store's locale; a timestamp gives its day in the store's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = aware.astimezone(store_zone()).date()
    return format_date(value, format, locale=current_app.config["LOCALE"])


def plural(count, singular: str, many: str | None = None, digits: int = 0) -> str:
    """A count and its noun agreeing by the locale's plural rules: "1 order", "2 orders",
    "1,250 units"; `many` for a noun that does not just take an s ("1 box", "3 boxes").
    `digits` for a measure shown with decimals ("1.5 units a week"): the noun agrees with
    the number as shown (1.04 shows as "1 unit")."""
    if count is None:
        count = 0
    locale = Locale.parse(current_app.config["LOCALE"])
    shown = abs(count) if not digits else abs(round(Decimal(str(count)), digits).normalize())
    noun = singular if locale.plural_form(shown) == "one" else (many or singular + "s")
    return f"{local_number(count, digits)} {noun}"


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
