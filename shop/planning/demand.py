"""Demand forecasts from sales history: weekly units sold per variant, a Holt model per
variant (shop/planning/forecast.py), stored nightly for the reorder list and drawn live
for one variant with its back-test, projected stock and suggested order.

Demand is units ordered on paid orders (backordered units included: customers wanted
them), by the store's week (Monday to Sunday) of the payment. The week in progress is
not history yet: forecasts start with it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, url_for

from shop.catalogue.models import Product, Variant
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.orders.models import Order, OrderLine
from shop.planning import forecast
from shop.planning.models import DemandForecast
from shop.planning.reorder import backordered_by_variant, by_reorder_point, on_order_by_variant
from shop.promise.availability import lead_time_days
from shop.promise.incoming import arrivals_for
from shop.purchasing.models import Supplier
from shop.reports.filters import SOLD, category_and_below
from shop.reports.periods import Period, as_date, bucket_start, local_bucket
from shop.reports.tables import DATE, INTEGER, NUMBER, PERCENT, Column, Table

HISTORY_WEEKS = 52
HOLDOUT_WEEKS = 8
REVIEW_WEEKS = 1  # the reorder list is worked through weekly
HORIZON_WEEKS = 12  # weeks drawn ahead on the chart
LIST_ROWS = 200


def history_period(today: date) -> Period:
    """The last HISTORY_WEEKS whole weeks before the week of `today`."""
    this_week = bucket_start(today, "week")
    return Period(this_week - timedelta(weeks=HISTORY_WEEKS), this_week - timedelta(days=1))


def weekly_sales(period: Period, variant_ids=None) -> dict[int, list[int]]:
    """Units sold per variant per week of the period, zeros included (one query)."""
    start, end = period.utc_bounds()
    week = local_bucket(Order.paid_at, "week").label("week")
    query = (
        sa.select(OrderLine.variant_id, week, sa.func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status.in_(SOLD), Order.paid_at >= start, Order.paid_at < end)
        .group_by(OrderLine.variant_id, week)
    )
    if variant_ids is not None:
        query = query.where(OrderLine.variant_id.in_(variant_ids))
    weeks = {day: i for i, day in enumerate(period.buckets("week"))}
    series: dict[int, list[int]] = {}
    for variant_id, day, units in db.session.execute(query):
        index = weeks.get(as_date(day))
        if index is not None:
            series.setdefault(variant_id, [0] * len(weeks))[index] += int(units)
    return series


def lead_times() -> dict[int, int]:
    """Lead time in days of every variant in one query: the rule of
    promise.availability.lead_time_days (its own, else its supplier's, else the default)."""
    default = current_app.config["DEFAULT_LEAD_TIME_DAYS"]
    rows = db.session.execute(
        sa.select(StockLevel.variant_id, StockLevel.lead_time_days, Supplier.lead_time_days)
        .select_from(StockLevel)
        .outerjoin(Supplier, Supplier.id == StockLevel.supplier_id)
    )
    return {v: own if own is not None else (theirs or default) for v, own, theirs in rows}


def refresh_forecasts(today: date) -> int:
    """Fit every variant with enough history and store the models (nightly); commits the
    reading, and leaves the writing for the caller to commit."""
    period = history_period(today)
    leads = lead_times()
    sales = weekly_sales(period)
    # End the read before the fitting (tens of seconds for thousands of variants): on
    # SQLite a job's transaction holds the write lock, which the shop's pages need.
    db.session.commit()
    default = current_app.config["DEFAULT_LEAD_TIME_DAYS"]
    rows = []
    for variant_id, series in sales.items():
        if forecast.has_enough_history(series):
            rows.append(_forecast_row(variant_id, series, leads.get(variant_id, default), today))
    db.session.execute(sa.delete(DemandForecast))
    if rows:
        db.session.execute(sa.insert(DemandForecast), rows)
    return len(rows)


def _forecast_row(variant_id: int, series: list[int], lead_days: int, today: date) -> dict:
    model = forecast.fit(series)
    test = _backtest(series)
    cover = forecast.units_to_cover(model, lead_time_weeks=lead_days / 7, review_weeks=REVIEW_WEEKS)
    return {
        "variant_id": variant_id,
        "first_week": bucket_start(today, "week"),
        "weeks": model.weeks,
        "alpha": _dec(model.alpha),
        "beta": _dec(model.beta),
        "phi": _dec(model.phi),
        "level": _dec(model.level),
        "trend": _dec(model.trend),
        "sigma": _dec(model.sigma),
        "next_week": _dec(model.forecast(1)[0]),
        "lead_time_days": lead_days,
        "cover_units": _dec(cover),
        "backtest_mae": _dec(test.mae) if test else None,
        "backtest_wape": _dec(test.wape) if test and test.wape is not None else None,
        "naive_mae": _dec(test.naive_mae) if test else None,
    }


def _dec(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def _backtest(series: list[int]) -> forecast.Backtest | None:
    """Hold out the last weeks when there is enough history before them to fit on."""
    selling = series[forecast.first_sale(series) :]
    if len(selling) < HOLDOUT_WEEKS + forecast.MIN_HISTORY_WEEKS:
        return None
    return forecast.backtest(selling, holdout=HOLDOUT_WEEKS)


def stored_model(row: DemandForecast) -> forecast.Model:
    return forecast.Model(
        alpha=float(row.alpha),
        beta=float(row.beta),
        level=float(row.level),
        trend=float(row.trend),
        sigma=float(row.sigma),
        weeks=row.weeks,
        phi=float(row.phi),
    )


def arrival_weeks(variant_ids, today: date) -> dict[int, dict[int, int]]:
    """Units due on open purchase orders per variant, by week index from this week (0)."""
    this_week = bucket_start(today, "week")
    weeks: dict[int, dict[int, int]] = {}
    for variant_id, arrivals in arrivals_for(variant_ids, today).items():
        for arrival in arrivals:
            index = (arrival.expected - this_week).days // 7
            due = weeks.setdefault(variant_id, {})
            due[index] = due.get(index, 0) + arrival.outstanding
    return weeks


# --- one variant, drawn live -------------------------------------------------------


@dataclass(frozen=True)
class VariantDemand:
    variant: Variant
    weeks: list[date]  # Mondays of the history
    sold: list[int]
    model: forecast.Model | None  # None: not enough history
    backtest: forecast.Backtest | None
    ahead: list[date]  # Mondays of the weeks forecast
    forecast: list[float]
    projected: list[float]  # stock at the end of each week ahead
    free: int
    backordered: int
    on_order: int
    lead_time_days: int
    reorder_point: int
    suggested: int
    stockout: date | None

    @property
    def position(self) -> int:
        return self.free - self.backordered + self.on_order


def variant_demand(variant: Variant, today: date) -> VariantDemand:
    period = history_period(today)
    sold = weekly_sales(period, [variant.id]).get(variant.id, [0] * HISTORY_WEEKS)
    stock = variant.stock
    free = stock.on_hand - stock.allocated if stock else 0
    waiting, coming = _waiting_and_coming(variant.id)
    lead = lead_time_days(stock)
    this_week = bucket_start(today, "week")
    ahead = [this_week + timedelta(weeks=i) for i in range(HORIZON_WEEKS)]
    model = forecast.fit(sold) if forecast.has_enough_history(sold) else None
    if model is None:
        point = stock.reorder_point if stock else 0
        suggested = by_reorder_point(stock, free - waiting + coming)
        return VariantDemand(
            variant, period.buckets("week"), sold, None, None, ahead, [], [], free, waiting,
            coming, lead, point, suggested, None,
        )  # fmt: skip
    arrivals = arrival_weeks([variant.id], today).get(variant.id, {})
    on_shelf = free - waiting
    gone = forecast.stockout_week(model, stock=on_shelf, arrivals=arrivals)
    suggested = forecast.suggested_order(
        model,
        position=on_shelf + coming,
        lead_time_weeks=lead / 7,
        review_weeks=REVIEW_WEEKS,
        minimum=stock.reorder_quantity if stock else 0,
    )
    return VariantDemand(
        variant, period.buckets("week"), sold, model, _backtest(sold), ahead,
        model.forecast(HORIZON_WEEKS),
        forecast.projected_stock(model, stock=on_shelf, arrivals=arrivals, horizon=HORIZON_WEEKS),
        free, waiting, coming, lead, stock.reorder_point if stock else 0, suggested,
        _week_date(today, gone),
    )  # fmt: skip


def _waiting_and_coming(variant_id: int) -> tuple[int, int]:
    """Units customers wait for and units on open purchase orders, for one variant."""
    waiting, coming = backordered_by_variant(), on_order_by_variant()
    row = db.session.execute(
        sa.select(sa.func.coalesce(waiting.c.units, 0), sa.func.coalesce(coming.c.units, 0))
        .select_from(Variant)
        .outerjoin(waiting, waiting.c.variant_id == Variant.id)
        .outerjoin(coming, coming.c.variant_id == Variant.id)
        .where(Variant.id == variant_id)
    ).one()
    return int(row[0]), int(row[1])


def last_refreshed():
    """When the stored forecasts were computed; None before the first refresh."""
    return db.session.scalar(sa.select(sa.func.max(DemandForecast.computed_at)))


def weeks_table(found: VariantDemand) -> Table:
    """The variant's weeks: sold and back-tested, then forecast with projected stock."""
    table = Table(
        [
            Column("week", "Week starting", DATE),
            Column("sold", "Units sold", INTEGER),
            Column("backtest", "Back-test", NUMBER),
            Column("forecast", "Forecast", NUMBER),
            Column("projected", "Projected stock", NUMBER),
        ]
    )
    held = found.backtest.forecast if found.backtest else []
    back = [None] * (len(found.weeks) - len(held)) + list(held)
    for week, sold, tested in zip(found.weeks, found.sold, back, strict=True):
        table.rows.append({"week": week, "sold": sold, "backtest": _one(tested)})
    for i, week in enumerate(found.ahead if found.model else []):
        table.rows.append(
            {
                "week": week,
                "forecast": _one(found.forecast[i]),
                "projected": _one(found.projected[i]),
            }
        )
    return table


def _one(value):
    return None if value is None else Decimal(str(round(value, 1)))


# --- the forecast list ----------------------------------------------------------------


def forecast_table(today: date, category_id: int | None = None) -> Table:
    """Variants with a stored forecast, the fewest weeks of cover first."""
    waiting, coming = backordered_by_variant(), on_order_by_variant()
    free = StockLevel.on_hand - StockLevel.allocated
    on_shelf = free - sa.func.coalesce(waiting.c.units, 0)
    coming_units = sa.func.coalesce(coming.c.units, 0)
    weeks_of_cover = (on_shelf + coming_units) / sa.func.nullif(DemandForecast.next_week, 0)
    query = (
        sa.select(DemandForecast, Variant.sku, Product.name, on_shelf, coming_units,
                  StockLevel.reorder_quantity)
        .join(Variant, Variant.id == DemandForecast.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .outerjoin(waiting, waiting.c.variant_id == Variant.id)
        .outerjoin(coming, coming.c.variant_id == Variant.id)
        .where(Variant.is_active.is_(True))
        .order_by(weeks_of_cover.asc().nulls_last(), Variant.sku)
        .limit(LIST_ROWS)
    )  # fmt: skip
    if category_id:
        query = query.where(Product.category_id.in_(category_and_below(category_id)))
    table = Table(FORECAST_COLUMNS, links={"sku": "link"})
    rows = db.session.execute(query).all()
    due_by_week = arrival_weeks([row[0].variant_id for row in rows], today)
    for row, sku, name, shelf, due, minimum in rows:
        arrivals = due_by_week.get(row.variant_id, {})
        table.rows.append(
            _forecast_list_row(row, sku, name, int(shelf), int(due), minimum, arrivals, today)
        )
    return table


def _forecast_list_row(row, sku, name, shelf, due, minimum, arrivals, today) -> dict:
    model = stored_model(row)
    gone = forecast.stockout_week(model, stock=shelf, arrivals=arrivals)
    return {
        "sku": sku,
        "product": name,
        "next_week": row.next_week,
        "next_4_weeks": round(model.demand_over(4), 1),
        "on_shelf": shelf,
        "on_order": due,
        "stockout": _week_date(today, gone),
        "suggested": forecast.order_for_cover(
            float(row.cover_units), position=shelf + due, minimum=minimum
        ),
        "wape": row.backtest_wape,
        "link": url_for("backoffice.variant_forecast", variant_id=row.variant_id),
    }


def _week_date(today: date, index: int | None) -> date | None:
    """The Monday of week `index` from this week (0); None stays None."""
    return bucket_start(today, "week") + timedelta(weeks=index) if index is not None else None


FORECAST_COLUMNS = [
    Column("sku", "SKU"),
    Column("product", "Product"),
    Column("next_week", "Forecast this week", NUMBER),
    Column("next_4_weeks", "Next 4 weeks", NUMBER),
    Column("on_shelf", "Free stock less backorders", INTEGER),
    Column("on_order", "On order", INTEGER),
    Column("stockout", "Runs out week of", DATE),
    Column("suggested", "Suggested order", INTEGER),
    Column("wape", "Back-test error (WAPE)", PERCENT),
]
