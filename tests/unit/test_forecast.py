"""Demand forecasts: Holt's method, back-test, safety stock, order size and stock-out week."""

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.planning.forecast import (
    MIN_HISTORY_WEEKS,
    SERVICE_Z,
    Model,
    backtest,
    fit,
    has_enough_history,
    projected_stock,
    safety_stock,
    stockout_week,
    suggested_order,
)


def flat(units_per_week, sigma=0.0):
    """A hand-made model: the same demand every week, no trend."""
    return Model(alpha=0.5, beta=0.1, level=units_per_week, trend=0.0, sigma=sigma, weeks=52)


def seasonal_series(seed, weeks=52):
    """A year of sales: 20 + 1/week trend, a yearly swing of +-3 and noise of sd 2."""
    rng = random.Random(seed)
    return [
        max(0.0, trend_line(t) + 3 * math.sin(2 * math.pi * t / 52) + rng.gauss(0, 2))
        for t in range(weeks)
    ]


def trend_line(week):
    return 20 + 1.0 * week


# -- fitting ---------------------------------------------------------------------------


def test_linear_series_is_continued():
    model = fit([10 + 2 * t for t in range(30)])

    assert model.trend == pytest.approx(2, abs=0.05)
    expected = [10 + 2 * t for t in range(30, 34)]
    for forecast, truth in zip(model.forecast(4), expected, strict=True):
        assert forecast == pytest.approx(truth, abs=0.5)
    assert model.weeks == 30


def test_constant_series():
    model = fit([10] * 20)

    assert model.forecast(6) == pytest.approx([10] * 6)
    assert model.sigma == pytest.approx(0, abs=1e-9)
    assert model.trend == pytest.approx(0, abs=1e-9)
    # 10 a week over 3 weeks' lead + 1 week's review = 40; 40 - 25 in position = 15.
    assert suggested_order(model, position=25, lead_time_weeks=3, review_weeks=1) == 15


def test_seasonal_trending_series_follows_the_trend_and_beats_naive():
    deviations, ratios = [], []
    for seed in range(25):
        series = seasonal_series(seed)
        model = fit(series)
        coming = model.forecast(8)
        truth = statistics.mean(trend_line(t) for t in range(52, 60))
        deviations.append(statistics.mean(coming) - truth)
        assert model.trend > 0.5, seed  # true slope 1, plus the season's slope at the end

        result = backtest(series, holdout=8)
        assert result.holdout == 8
        assert result.actual == pytest.approx(series[-8:])
        assert len(result.forecast) == 8
        assert result.wape is not None and result.wape < 0.35, (seed, result)
        ratios.append(result.mae / result.naive_mae)

    # A model without the trend would lag the line by about 5 units.
    assert abs(statistics.median(deviations)) < 1.5, deviations
    assert statistics.median(ratios) < 1.0, ratios


def test_fit_needs_two_weeks():
    with pytest.raises(ValueError):
        fit([5])
    with pytest.raises(ValueError):
        fit([])
    with pytest.raises(ValueError):
        fit([1, float("nan"), 3])


def test_leading_zeros_are_not_history():
    model = fit([0] * 30 + [10] * 10)

    assert model.weeks == 10
    assert model.forecast(3) == pytest.approx([10] * 3)
    # At least two weeks are always kept.
    assert fit([0, 0, 0, 5]).weeks == 2


# -- zeros and intermittent demand -----------------------------------------------------


def test_intermittent_and_declining_series_never_forecast_below_zero():
    intermittent = [0, 0, 3, 0, 0, 0, 5, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0]
    declining = [100 - 5 * t for t in range(20)]
    for series in (intermittent, declining, [0] * 12):
        assert all(units >= 0 for units in fit(series).forecast(52))
    assert fit(declining).forecast(52)[-1] == 0
    assert fit([0] * 12).forecast(4) == [0, 0, 0, 0]


def test_has_enough_history_counts_from_the_first_sale():
    assert MIN_HISTORY_WEEKS == 8
    assert not has_enough_history([0] * 20 + [3, 0, 1, 0, 2])
    assert not has_enough_history([0] * 20 + [1] * 7)
    assert has_enough_history([0] * 20 + [1, 0, 0, 0, 0, 0, 0, 0])
    assert has_enough_history([2] * 52)
    assert not has_enough_history([0] * 52)
    assert not has_enough_history([])


# -- back-test -------------------------------------------------------------------------


def test_backtest_by_hand():
    # Fitted on eight weeks of 10 the forecast is 10; the hold-out sold 12, 8, 10, 14.
    result = backtest([10] * 8 + [12, 8, 10, 14], holdout=4)

    assert result.forecast == pytest.approx([10] * 4)
    assert result.mae == pytest.approx((2 + 2 + 0 + 4) / 4)
    assert result.wape == pytest.approx(8 / 44)
    assert result.naive_mae == pytest.approx(2)  # the last week before was 10 as well


def test_backtest_naive_repeats_the_last_training_week():
    result = backtest([0, 0, 10, 10, 10, 10, 20, 0, 0], holdout=2)

    assert result.wape is None  # nothing sold in the hold-out
    assert result.naive_mae == pytest.approx(20)


def test_backtest_compares_with_the_average_of_the_weeks_before():
    # Training ends with four weeks averaging 10; the four held-out weeks sell 12 each.
    result = backtest([8, 8, 8, 8, 4, 16, 4, 16, 12, 12, 12, 12], holdout=4)

    assert result.average_mae == pytest.approx(2)
    assert result.naive_mae == pytest.approx(4)  # the last week before sold 16


def test_backtest_needs_two_training_weeks():
    with pytest.raises(ValueError):
        backtest([1, 2, 3], holdout=2)
    with pytest.raises(ValueError):
        backtest([1, 2, 3], holdout=0)


# -- safety stock and order size -------------------------------------------------------


def test_safety_stock_is_z_sigma_root_lead_time():
    model = flat(10, sigma=4.0)

    assert safety_stock(model, 4) == pytest.approx(SERVICE_Z * 4.0 * 2)
    assert safety_stock(model, 2.25, z=2.0) == pytest.approx(2.0 * 4.0 * 1.5)
    assert safety_stock(model, 0) == 0
    with pytest.raises(ValueError):
        safety_stock(model, -1)


def test_suggested_order_covers_lead_time_review_and_safety_stock():
    # Demand 40 over 3 + 1 weeks, safety 1.65 * 2 * sqrt(4) = 6.6, position 25: 21.6 -> 22.
    model = flat(10, sigma=2.0)
    assert suggested_order(model, position=25, lead_time_weeks=3) == 22


def test_suggested_order_minimum_and_nothing_to_order():
    model = flat(10)

    assert suggested_order(model, position=25, lead_time_weeks=3, minimum=24) == 24
    assert suggested_order(model, position=25, lead_time_weeks=3, minimum=10) == 15
    assert suggested_order(model, position=40, lead_time_weeks=3, minimum=24) == 0
    assert suggested_order(model, position=100, lead_time_weeks=3) == 0
    # Backorders make the position negative: they are ordered on top.
    assert suggested_order(model, position=-5, lead_time_weeks=3) == 45
    # Half a week of lead time is half a week of demand: 25 - 20 = 5.
    assert suggested_order(model, position=20, lead_time_weeks=1.5) == 5


def test_demand_over_fractional_weeks():
    model = Model(alpha=0.5, beta=0.1, level=10, trend=1, sigma=0, weeks=20, phi=1.0)

    assert model.forecast(3) == pytest.approx([11, 12, 13])
    assert model.demand_over(2.5) == pytest.approx(11 + 12 + 6.5)
    assert model.demand_over(0) == 0


# -- stock-out week and the projection -------------------------------------------------


def test_projected_stock_runs_down_by_the_forecast():
    assert projected_stock(flat(10), stock=30, horizon=4) == pytest.approx([20, 10, 0, -10])
    assert projected_stock(flat(10), stock=30, arrivals={1: 20}, horizon=4) == pytest.approx(
        [20, 30, 20, 10]
    )


def test_stockout_week_is_the_first_week_below_zero():
    # 20, 10, 0, -10: ending a week at exactly zero is not yet a stock-out.
    assert stockout_week(flat(10), stock=30) == 3
    # 20 more in week 1 last two more weeks.
    assert stockout_week(flat(10), stock=30, arrivals={1: 20}) == 5
    # An overdue delivery (negative week) is counted as arriving this week.
    assert stockout_week(flat(10), stock=30, arrivals={-2: 20}) == 5
    assert stockout_week(flat(10), stock=25) == 2
    assert stockout_week(flat(10), stock=5) == 0
    assert stockout_week(flat(10), stock=1000) is None
    assert stockout_week(flat(10), stock=30, horizon=3) is None
    assert stockout_week(flat(0), stock=0) is None


def test_stockout_week_of_a_fitted_flat_series_ignores_float_noise():
    model = fit([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10])
    assert stockout_week(model, stock=30) == 3


# -- properties ------------------------------------------------------------------------


@given(
    series=st.lists(
        st.floats(min_value=0, max_value=10_000, allow_nan=False, allow_infinity=False),
        min_size=2,
        max_size=60,
    ),
    position=st.integers(min_value=-1_000, max_value=100_000),
    lead=st.floats(min_value=0, max_value=26),
    minimum=st.integers(min_value=0, max_value=500),
)
def test_forecasts_are_finite_and_orders_never_negative(series, position, lead, minimum):
    model = fit(series)

    coming = model.forecast(52)
    assert all(math.isfinite(units) and units >= 0 for units in coming)
    assert math.isfinite(model.sigma) and model.sigma >= 0
    order = suggested_order(model, position=position, lead_time_weeks=lead, minimum=minimum)
    assert order >= 0
    assert order == 0 or order >= minimum
