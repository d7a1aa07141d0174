"""Money: integer minor units in the database, Babel for what people read.

Rounding is half-up everywhere, and happens only in to_minor_units().
"""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision


def minor_unit_factor(currency: str) -> int:
    return 10 ** get_currency_precision(currency)


def to_minor_units(amount: Decimal | int | str, currency: str) -> int:
    """Decimal("12.345") CAD -> 1235 (half-up)."""
    factor = minor_unit_factor(currency)
    return int((Decimal(amount) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_decimal(minor: int, currency: str) -> Decimal:
    """1235 CAD -> Decimal("12.35")."""
    precision = get_currency_precision(currency)
    return (Decimal(minor) / minor_unit_factor(currency)).quantize(Decimal(1).scaleb(-precision))


def format_money(minor: int, currency: str, locale: str) -> str:
    """1235, "CAD", "en_CA" -> "$12.35"."""
    return format_currency(to_decimal(minor, currency), currency, locale=locale)
