from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import format_money, to_decimal, to_minor_units


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "shown"),
    [
        (1235, "CAD", "en_CA", "$12.35"),
        (123456789, "CAD", "en_CA", "$1,234,567.89"),
        (1235, "CAD", "fr_CA", "12,35\xa0$"),
        (1235, "USD", "en_CA", "US$12.35"),
        (-500, "CAD", "en_CA", "-$5.00"),
        (1235, "JPY", "ja_JP", "￥1,235"),
    ],
)
def test_format_money(minor, currency, locale, shown):
    assert format_money(minor, currency, locale) == shown


@pytest.mark.parametrize(
    ("amount", "minor"),
    [("12.345", 1235), ("12.344", 1234), ("0.005", 1), ("-0.005", -1), ("24.99", 2499), ("7", 700)],
)
def test_to_minor_units_rounds_half_up(amount, minor):
    assert to_minor_units(Decimal(amount), "CAD") == minor


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_minor_units_round_trip(minor):
    assert to_minor_units(to_decimal(minor, "CAD"), "CAD") == minor
