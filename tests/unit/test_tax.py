"""Sales tax by province: one line per component, rounded half-up once per component."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.tax.calculations import apportion, compute_taxes
from shop.tax.data import CANADA_STANDARD_RATES

STANDARD, ZERO = 1, 2


def rates(province: str) -> dict[int, list]:
    return {
        STANDARD: [SimpleNamespace(component=c, rate=r) for c, r in CANADA_STANDARD_RATES[province]]
    }


@pytest.mark.parametrize(
    ("province", "expected"),
    [
        ("ON", [("HST", 1300)]),
        ("NS", [("HST", 1400)]),  # 14 % since 1 April 2025
        ("NB", [("HST", 1500)]),
        ("AB", [("GST", 500)]),
        ("BC", [("GST", 500), ("PST", 700)]),
        ("SK", [("GST", 500), ("PST", 600)]),
        ("QC", [("GST", 500), ("QST", 998)]),  # 9.975 % of $100 = 9.975 -> 9.98
        ("YT", [("GST", 500)]),
    ],
)
def test_tax_on_100_dollars_by_province(province, expected):
    lines = compute_taxes(goods_by_class={STANDARD: 10000}, shipping=0, rates=rates(province))
    assert [(t.component, t.amount) for t in lines] == expected


def test_rounding_is_half_up_once_per_component():
    # 13 % of $0.50 = 6.5 cents -> 7 (half-up, not banker's 6)
    [hst] = compute_taxes(goods_by_class={STANDARD: 50}, shipping=0, rates=rates("ON"))
    assert hst.amount == 7


def test_shipping_is_taxed_like_the_goods():
    [hst] = compute_taxes(goods_by_class={STANDARD: 10000}, shipping=1500, rates=rates("ON"))
    assert hst.taxable == 11500 and hst.amount == 1495


def test_zero_rated_goods_and_their_share_of_shipping_are_not_taxed():
    lines = compute_taxes(
        goods_by_class={STANDARD: 3000, ZERO: 1000}, shipping=1000, rates=rates("ON")
    )
    [hst] = lines
    assert hst.taxable == 3000 + 750  # three quarters of the shipping follows the taxed goods
    assert hst.amount == 488  # 13 % of 37.50 = 4.875 -> 4.88


def test_label_shows_the_rate():
    [gst, qst] = compute_taxes(goods_by_class={STANDARD: 100}, shipping=0, rates=rates("QC"))
    assert (gst.label, qst.label) == ("GST 5%", "QST 9.975%")
    assert qst.rate == Decimal("0.09975")


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=6))
def test_apportion_always_adds_up(total, weights):
    shares = apportion(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == (total if sum(weights) else 0)
    assert all(s >= 0 for s in shares)
