"""Weekly demand forecasts for reordering: pure arithmetic, no database.

Input is a weekly unit-sales series for one variant: a list of numbers, oldest
first, one per week, weeks without sales included as zeros. Units are floats
here: this is expected demand, not money.

Method. Holt's linear trend method (double exponential smoothing) with a
slightly damped trend. Each week the level and the trend are corrected by a
share (alpha, beta) of the one-step-ahead error; alpha and beta are chosen by
a grid search (with the damping phi) for the least sum of squared one-step
errors. Why this method:

- simple exponential smoothing has no trend, so it lags every growing or
  declining product and orders too little or too much;
- a seasonal Holt-Winters model with a 52-week season needs at least two full
  seasons to estimate its seasonal indices, and the shop keeps about a year of
  weekly history: the seasonal terms would be fitted on noise;
- Holt is cheap (a couple of thousand variants are fitted per request) and is
  easy to explain to the owner: "this many a week, growing by this much".

The trend is damped by phi per week ahead (Gardner and McKenzie): sales do not
grow linearly for ever, and the stock-out projection looks up to a year ahead,
where an undamped trend would run away. phi is chosen with alpha and beta from
PHIS; a series that really is a straight line picks 1.0 (no damping) and is
continued as the line.

The start: level and trend come from a least-squares line through the first
weeks (up to INIT_WEEKS), which is less noisy than the difference of the first
two weeks. Weeks before the first sale are dropped: the variant may not have
been on sale then, and a run of zeros would pull the level down.

Reading the back-test. backtest() fits on all but the last `holdout` weeks,
forecasts those weeks and compares with what was sold. MAE is the mean
absolute error in units a week; WAPE is the total absolute error as a share of
the units sold (0.2 = off by 20% of the volume); naive_mae is the MAE of simply
repeating the last week before the hold-out, average_mae that of repeating the
average of as many weeks before it (two plain rules the model should match). A
forecast worth using has an MAE below or near theirs; on a slow, erratic item
none is good and the reorder point set by hand is the safer guide.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_HISTORY_WEEKS = 8  # fewer weeks since a variant's first sale: no forecast
SERVICE_Z = 1.65  # ~95% cycle service level for safety stock
PHI = 0.99  # trend damping per week ahead; 1.0 would be plain Holt
INIT_WEEKS = 8  # weeks the starting line is fitted on

# The grid. Small smoothing shares and a choice of damping: on the benchmark store's
# year (bench/README.md) wider shares chased noise, and a fixed light damping let
# trends of slow items run on; fitted this way the 8-week totals missed by a median
# 52% (vs 71%), as well as a plain 8-week average, and weekly errors beat the naive.
ALPHAS = tuple(round(0.05 * i, 2) for i in range(1, 11))  # 0.05 .. 0.50
BETAS = tuple(round(0.02 * i, 2) for i in range(1, 11))  # 0.02 .. 0.20
PHIS = (0.8, 0.9, 0.95, 1.0)  # 1.0 (no damping): a clean straight line fits it best

# Float noise guard: 30 - 3 * 10.000000000000002 is "zero", not a stock-out,
# and an order of 15.000000000000002 units is 15, not 16.
EPSILON = 1e-9


@dataclass(frozen=True)
class Model:
    """Holt's linear trend model fitted to one series; level and trend at its end."""

    alpha: float
    beta: float
    level: float
    trend: float
    sigma: float  # root mean square of the one-step-ahead errors
    weeks: int  # weeks the model was fitted on (after leading zeros were dropped)
    phi: float = PHI

    def forecast(self, horizon: int) -> list[float]:
        """Forecast demand for each of the next `horizon` weeks, never below zero."""
        if horizon < 0:
            raise ValueError("horizon must not be negative")
        result = []
        trend_sum = 0.0
        damping = 1.0
        for _ in range(horizon):
            damping *= self.phi
            trend_sum += damping
            result.append(max(0.0, self.level + self.trend * trend_sum))
        return result

    def demand_over(self, weeks: float) -> float:
        """Total forecast demand over `weeks` weeks; a fractional last week counts pro rata."""
        if weeks <= 0:
            return 0.0
        whole = math.floor(weeks)
        part = weeks - whole
        weekly = self.forecast(whole + 1)
        return sum(weekly[:whole]) + part * weekly[whole]


@dataclass(frozen=True)
class Backtest:
    """How a model fitted without the last `holdout` weeks forecast those weeks."""

    holdout: int
    actual: list[float]
    forecast: list[float]
    mae: float
    wape: float | None  # None when nothing was sold in the hold-out
    naive_mae: float
    average_mae: float  # of forecasting the mean of the last `holdout` training weeks


def first_sale(series: Sequence[float]) -> int:
    """Index of the first week with sales; len(series) when there is none."""
    for index, units in enumerate(series):
        if units > 0:
            return index
    return len(series)


def has_enough_history(series: Sequence[float]) -> bool:
    """True when the weeks from the first sale (that week included) reach MIN_HISTORY_WEEKS."""
    return len(series) - first_sale(series) >= MIN_HISTORY_WEEKS


def _starting_state(series: Sequence[float], phi: float) -> tuple[float, float]:
    """Level and trend one week before the first, from a line through the first weeks."""
    count = min(len(series), INIT_WEEKS)
    mean_t = (count - 1) / 2
    mean_y = sum(series[:count]) / count
    spread = sum((t - mean_t) ** 2 for t in range(count))
    slope = sum((t - mean_t) * (series[t] - mean_y) for t in range(count)) / spread
    intercept = mean_y - slope * mean_t
    # The state before week 0 whose one-step forecast is the line's value at week 0.
    return intercept - phi * slope, slope


def _run(series, alpha, beta, phi, level, trend, limit=math.inf):
    """Smooth through the series; return (sse, level, trend) at its end.

    Stops early, with an sse >= limit, once the pair cannot beat the best one so far.
    """
    alpha_beta = alpha * beta
    sse = 0.0
    for units in series:
        damped = phi * trend
        expected = level + damped
        error = units - expected
        # The error scored is that of the forecast we would issue, which is clipped at zero.
        scored = error if expected > 0 else units
        sse += scored * scored
        if sse >= limit:
            break
        level = expected + alpha * error
        trend = damped + alpha_beta * error
    return sse, level, trend


def fit(series: Sequence[float]) -> Model:
    """Fit Holt's method by grid search over ALPHAS x BETAS; needs at least two weeks."""
    if len(series) < 2:
        raise ValueError("a forecast needs at least two weeks of history")
    values = [float(units) for units in series]
    if not all(math.isfinite(units) for units in values):
        raise ValueError("weekly sales must be finite numbers")
    values = values[min(first_sale(values), len(values) - 2) :]
    best_sse, best = math.inf, (ALPHAS[0], BETAS[0], PHIS[-1])
    for phi in PHIS:
        level0, trend0 = _starting_state(values, phi)
        for alpha in ALPHAS:
            for beta in BETAS:
                sse = _run(values, alpha, beta, phi, level0, trend0, best_sse)[0]
                if sse < best_sse:
                    best_sse, best = sse, (alpha, beta, phi)
    alpha, beta, phi = best
    sse, level, trend = _run(values, alpha, beta, phi, *_starting_state(values, phi))
    return Model(
        alpha=alpha,
        beta=beta,
        level=level,
        trend=trend,
        sigma=math.sqrt(sse / len(values)),
        weeks=len(values),
        phi=phi,
    )


def backtest(series: Sequence[float], holdout: int = 8) -> Backtest:
    """Fit on all but the last `holdout` weeks and compare the forecast with what sold."""
    if holdout < 1:
        raise ValueError("holdout must be at least one week")
    if len(series) - holdout < 2:
        raise ValueError("a back-test needs at least two weeks before the hold-out")
    training = series[:-holdout]
    actual = [float(units) for units in series[-holdout:]]
    predicted = fit(training).forecast(holdout)
    errors = [abs(a - p) for a, p in zip(actual, predicted, strict=True)]
    last = float(training[-1])
    recent = training[-holdout:]
    average = sum(recent) / len(recent)
    sold = sum(actual)
    return Backtest(
        holdout=holdout,
        actual=actual,
        forecast=predicted,
        mae=sum(errors) / holdout,
        wape=sum(errors) / sold if sold > 0 else None,
        naive_mae=sum(abs(a - last) for a in actual) / holdout,
        average_mae=sum(abs(a - average) for a in actual) / holdout,
    )


def safety_stock(model: Model, lead_time_weeks: float, z: float = SERVICE_Z) -> float:
    """z * sigma * sqrt(weeks): the buffer for forecast error over that many weeks.

    Assumes weekly errors are independent, the usual textbook simplification.
    """
    if lead_time_weeks < 0:
        raise ValueError("lead time must not be negative")
    return z * model.sigma * math.sqrt(lead_time_weeks)


def units_to_cover(model: Model, *, lead_time_weeks: float, review_weeks: float = 1.0) -> float:
    """Forecast demand over lead time + review period plus safety stock for that span.

    The order must last until the next order can arrive, lead time + review period later,
    so both the demand and the safety stock cover that span.
    """
    cover = lead_time_weeks + review_weeks
    return model.demand_over(cover) + safety_stock(model, cover)


def order_for_cover(cover: float, *, position: int, minimum: int = 0) -> int:
    """Units that lift the stock position to `cover`; at least `minimum` when any."""
    units = max(0, math.ceil(cover - position - EPSILON))
    return max(units, minimum) if units > 0 else 0


def suggested_order(
    model: Model,
    *,
    position: int,
    lead_time_weeks: float,
    review_weeks: float = 1.0,
    minimum: int = 0,
) -> int:
    """Units to order now so that stock covers demand over lead time + review period plus
    safety stock.

    position = free stock - units backordered + units on order. Result = max(0,
    ceil(demand + safety - position)); if it is above zero it is at least `minimum` (the
    supplier's minimum / reorder quantity).
    """
    cover = units_to_cover(model, lead_time_weeks=lead_time_weeks, review_weeks=review_weeks)
    return order_for_cover(cover, position=position, minimum=minimum)


def _arrivals_by_week(arrivals: Mapping[int, int] | None) -> dict[int, int]:
    """Arrivals keyed by week index; overdue ones (negative index) are counted in week 0."""
    weeks: dict[int, int] = {}
    for week, units in (arrivals or {}).items():
        weeks[max(0, week)] = weeks.get(max(0, week), 0) + units
    return weeks


def projected_stock(
    model: Model, *, stock: int, arrivals: Mapping[int, int] | None = None, horizon: int = 12
) -> list[float]:
    """Projected stock at the end of each of the next `horizon` weeks (may go negative).

    Week 0 is the coming week. A week's arrivals are on the shelf before its demand.
    """
    incoming = _arrivals_by_week(arrivals)
    level = float(stock)
    result = []
    for week, demand in enumerate(model.forecast(horizon)):
        level += incoming.get(week, 0) - demand
        result.append(level)
    return result


def stockout_week(
    model: Model, *, stock: int, arrivals: Mapping[int, int] | None = None, horizon: int = 52
) -> int | None:
    """Index (0 = this coming week) of the first week whose projected end stock falls
    below zero; None if it does not within `horizon` weeks.

    Ending a week at exactly zero is not a stock-out: that week's demand was met.
    """
    projection = projected_stock(model, stock=stock, arrivals=arrivals, horizon=horizon)
    for week, level in enumerate(projection):
        if level < -EPSILON:
            return week
    return None
