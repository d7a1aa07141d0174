"""The owner's reports: each page has its filters, charts and tables, and every table
downloads as CSV (?format=csv&table=<key>) with the same rows as on the page."""

from dataclasses import dataclass, field

from flask import Response, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from backoffice import bp
from backoffice.access import allow
from backoffice.forms import EmptyForm, ReportFilterForm
from backoffice.views import download, get_or_404
from shop.catalogue.models import Variant
from shop.clock import store_today
from shop.errors import DomainError
from shop.formatting import local_date
from shop.planning import demand
from shop.reports import backorders, charts, customers, refresh, sales, shipping, stock
from shop.reports.filters import ReportFilters
from shop.reports.tables import Table, change, table_csv

CHART_ROWS = 15
SALES_TABS = list(sales.GROUPS.items())
TAX_NOTE = (
    "As charged on the orders. The bookkeeper's report, from the journal with credit notes, "
    "is the one to file from."
)
MARGIN_TABS = [(g, sales.GROUPS[g]) for g in sales.MARGIN_GROUPS]


@dataclass
class Section:
    key: str
    title: str
    table: Table
    chart: Markup | None = None
    note: str = ""


@dataclass
class ReportPage:
    title: str
    endpoint: str
    intro: str
    sections: list[Section]
    tiles: list = field(default_factory=list)
    tabs: list[tuple[str, str, bool]] = field(default_factory=list)  # (label, url, current)


def _filters() -> tuple[ReportFilterForm, ReportFilters, str]:
    form = ReportFilterForm(request.args)
    form.validate()
    chosen, grain = form.chosen()
    return form, chosen, grain


def _show(page: ReportPage, form: ReportFilterForm, filters: ReportFilters, **extra):
    """The page, or one of its tables as CSV when asked."""
    if request.args.get("format") == "csv":
        return _csv(page, filters)
    return render_template("backoffice/report.html", page=page, form=form, filters=filters, **extra)


def _csv(page: ReportPage, filters: ReportFilters) -> Response:
    wanted = request.args.get("table", "")
    section = next((s for s in page.sections if s.key == wanted), page.sections[0])
    name = (
        f"{page.endpoint.split('.')[-1]}-{section.key}-{filters.period.start}-{filters.period.end}"
    )
    return download(table_csv(section.table), f"{name}.csv")


def _group_tabs(endpoint: str, groups, current: str) -> list[tuple[str, str, bool]]:
    args = {k: v for k, v in request.args.items() if k not in ("group", "format", "table")}
    return [(label, url_for(endpoint, group=key, **args), key == current) for key, label in groups]


def _chosen_group(allowed) -> str:
    group = request.args.get("group", "")
    return group if group in allowed else next(iter(allowed))


# --- tiles: a figure against the previous period ------------------------------------


@dataclass(frozen=True)
class Tile:
    label: str
    value: object
    previous: object
    kind: str  # money, integer, percent

    @property
    def change(self):
        if self.value is None or self.previous is None:
            return None
        return change(self.value, self.previous)


def sales_tiles(current: sales.Totals, previous: sales.Totals) -> list[Tile]:
    return [
        Tile("Revenue", current.revenue, previous.revenue, "money"),
        Tile("Orders", current.orders, previous.orders, "integer"),
        Tile("Average order", current.average_order, previous.average_order, "money"),
        Tile("Gross margin", current.margin, previous.margin, "money"),
        Tile("Margin", current.margin_rate, previous.margin_rate, "percent"),
        Tile("Units sold", current.units, previous.units, "integer"),
        Tile("Refunded", current.refunded, previous.refunded, "money"),
        Tile("New customers", current.new_customers, previous.new_customers, "integer"),
        Tile(
            "Returning customers",
            current.returning_customers,
            previous.returning_customers,
            "integer",
        ),
    ]


# --- charts from report rows ---------------------------------------------------------


def revenue_chart(points, previous_points, grain: str) -> Markup:
    """This period's revenue per bucket, with the previous period's laid over it."""
    labels = [_bucket_label(p.day, grain) for p in points]
    earlier = [p.revenue for p in previous_points][: len(points)]
    return charts.line_chart(
        title=f"Revenue per {grain}",
        x_title={"day": "Day", "week": "Week starting", "month": "Month"}[grain],
        y_title="Revenue (before tax and shipping)",
        labels=labels,
        series=[("This period", [p.revenue for p in points]), ("Previous period", earlier)],
        money=True,
        every=max(1, len(labels) // 12),
    )


def _bucket_label(day, grain: str) -> str:
    return local_date(day, "MMM y") if grain == "month" else local_date(day, "MMM d")


def top_chart(rows, title: str, key: str = "revenue", label: str = "Revenue") -> Markup:
    top = rows[:CHART_ROWS]
    return charts.bar_chart(
        title=title,
        value_title=label,
        labels=[r.label for r in top],
        series=[(label, [getattr(r, key) for r in top])],
        money=True,
    )


# --- the pages -------------------------------------------------------------------------


@bp.get("/reports/sales")
@allow()
def report_sales():
    form, filters, grain = _filters()
    group = _chosen_group(["time", *sales.GROUPS])
    totals = sales.totals(filters)
    previous = sales.totals(filters, filters.period.previous())
    if group == "time":
        points = sales.over_time(filters, grain)
        earlier = sales.over_time(filters, grain, filters.period.previous())
        section = Section(
            "time", f"Sales per {grain}", sales.over_time_table(points, grain),
            revenue_chart(points, earlier, grain),
        )  # fmt: skip
    else:
        rows = sales.sales_by(group, filters)
        section = Section(
            group, f"Sales by {sales.GROUPS[group].lower()}",
            sales.group_table(group, rows, sales.sales_columns(group), totals.revenue),
            top_chart(rows, f"Revenue by {sales.GROUPS[group].lower()}"),
            _limit_note(group),
        )  # fmt: skip
    page = ReportPage(
        "Sales", "backoffice.report_sales",
        "Revenue is net sales of goods: order lines of paid orders by the day they were paid, "
        "less the goods refunded (net of restocking fees) by the day of the refund, before tax "
        "and shipping (the Sales account). Units sold are net of refunded units. Cancelled "
        "orders do not count.",
        [section], sales_tiles(totals, previous),
        _group_tabs("backoffice.report_sales", [("time", "Over time"), *SALES_TABS], group),
    )  # fmt: skip
    return _show(page, form, filters)


def _limit_note(group: str) -> str:
    if group in ("product", "variant"):
        return f"The {sales.ROW_LIMIT} best sellers by revenue."
    return ""


@bp.get("/reports/margin")
@allow()
def report_margin():
    form, filters, _ = _filters()
    group = _chosen_group(sales.MARGIN_GROUPS)
    rows = sorted(sales.sales_by(group, filters), key=lambda r: -r.margin)
    name = sales.GROUPS[group].lower()
    section = Section(
        group, f"Gross margin by {name}",
        sales.group_table(group, rows, sales.MARGIN_COLUMNS),
        top_chart(rows, f"Gross margin by {name}", "margin", "Gross margin"),
        _limit_note(group),
    )  # fmt: skip
    page = ReportPage(
        "Gross margin", "backoffice.report_margin",
        "Gross margin = revenue - cost of goods, each line at the variant's cost when it was "
        "ordered. Refunds come off revenue by the day of the refund; units that never left "
        "(cancelled) come off the cost of goods on the day of the refund, units returned "
        "resellable on the day the return was received, at that same cost; damaged returns "
        "stay a cost.",
        [section], [],
        _group_tabs("backoffice.report_margin", MARGIN_TABS, group),
    )  # fmt: skip
    return _show(page, form, filters)


@bp.get("/reports/stock")
@allow()
def report_stock():
    form, filters, _ = _filters()
    valuation = stock.valuation_by_category(filters)
    top = valuation.rows[:CHART_ROWS]
    chart = charts.bar_chart(
        title="Stock at cost by category", value_title="At cost",
        labels=[r["category"] for r in top],
        series=[("Value at cost", [r["value"] for r in top]),
                ("Cost of goods sold in the period", [r["cost_sold"] for r in top])],
        money=True,
    )  # fmt: skip
    page = ReportPage(
        "Stock value and turnover", "backoffice.report_stock",
        "Stock on hand today valued at each variant's cost. Turnover = cost of goods sold in "
        "the period, per year, / stock at cost; days of cover = how long today's stock lasts "
        "at the period's rate of sale.",
        [
            Section("valuation", "By category", valuation, chart),
            Section("cover", "Fewest days of cover", stock.shortest_cover(filters), None,
                    "Variants that sold in the period, the soonest to run out first."),
        ],
    )  # fmt: skip
    return _show(page, form, filters)


@bp.get("/reports/backorders")
@allow()
def report_backorders():
    form, filters, _ = _filters()
    buckets = backorders.backorder_aging(store_today())
    chart = charts.bar_chart(
        title="Units on backorder by age", value_title="Units waiting",
        labels=[b.label for b in buckets], series=[("Units", [b.units for b in buckets])],
    )  # fmt: skip
    current = backorders.fill_rate(filters)
    previous = backorders.fill_rate(filters.for_period(filters.period.previous()))
    page = ReportPage(
        "Backorders and fill rate", "backoffice.report_backorders",
        "Aging: open backorders of paid orders today, by days since the order was placed "
        "(the period does not apply). Fill rate: of the lines of orders paid in the period "
        "that have shipped, the share that left complete in the order's first shipment.",
        [
            Section("aging", "Backorder aging", backorders.aging_table(buckets), chart),
            Section("fill_rate", "Fill rate", backorders.fill_rate_table(current, previous)),
        ],
    )  # fmt: skip
    return _show(page, form, filters, backorders_link=url_for("backoffice.backorders"))


@bp.get("/reports/shipping")
@allow()
def report_shipping():
    form, filters, _ = _filters()
    services = shipping.shipping_by_service(filters)
    chart = charts.bar_chart(
        title="Shipping charged and its cost", value_title="Amount",
        labels=[r["service"] for r in services.rows],
        series=[("Charged", [r["charged"] for r in services.rows]),
                ("Carrier cost", [r["cost"] for r in services.rows])],
        money=True,
    )  # fmt: skip
    books = url_for(
        "backoffice.tax_collected",
        date_from=filters.period.start.isoformat(),
        date_to=filters.period.end.isoformat(),
    )
    page = ReportPage(
        "Shipping and taxes", "backoffice.report_shipping",
        "Charged: what customers paid for shipping. Carrier cost: the rate table's price for "
        "the parcels quoted at checkout, also when the customer shipped free.",
        [
            Section("shipping", "Shipping charged vs cost", services, chart),
            Section("taxes", "Taxes charged on the period's sales",
                    shipping.taxes_collected(filters), None, TAX_NOTE),
        ],
    )  # fmt: skip
    return _show(page, form, filters, books_link=books)


@bp.get("/reports/customers")
@allow()
def report_customers():
    form, filters, _ = _filters()
    figures = customers.customer_figures(filters)
    previous = customers.customer_figures(filters.for_period(filters.period.previous()))
    top = customers.top_customers(filters)
    chart = charts.bar_chart(
        title="Top customers in the period", value_title="Spent",
        labels=[r["email"] for r in top.rows[:10]],
        series=[("Spent", [r["revenue"] for r in top.rows[:10]])], money=True,
    )  # fmt: skip
    tiles = [
        Tile("Customers", figures.customers, previous.customers, "integer"),
        Tile("Repeat customers", figures.repeat, previous.repeat, "integer"),
        Tile("Repeat rate", figures.repeat_rate, previous.repeat_rate, "percent"),
        Tile("Lifetime value", figures.lifetime_value, None, "money"),
        Tile("Orders per customer", figures.orders_per_customer, None, "number"),
    ]
    page = ReportPage(
        "Customers", "backoffice.report_customers",
        "A customer is an email address. Repeat rate: the period's customers who have bought "
        "more than once in all. Lifetime value: net sales per customer since the store opened.",
        [Section("top", f"Top {customers.TOP} customers", top, chart)],
        tiles,
    )  # fmt: skip
    return _show(page, form, filters)


# --- forecasts -------------------------------------------------------------------------


@bp.get("/reports/forecast")
@allow()
def report_forecast():
    form, filters, _ = _filters()
    table = demand.forecast_table(store_today(), filters.category_id)
    computed = demand.last_refreshed()
    page = ReportPage(
        "Demand forecast", "backoffice.report_forecast",
        "Weekly demand per variant from its paid orders, forecast with Holt's linear trend "
        "method (damped trend), refreshed nightly. Only variants with 8 or more weeks "
        "since their first sale are forecast; the reorder list uses these forecasts and "
        "falls back to the reorder point for the others. The back-test error (WAPE) is how "
        "far a model fitted without the last 8 weeks missed them.",
        [Section("forecast", "Soonest to run out", table, None,
                 f"At most {demand.LIST_ROWS} variants, the fewest weeks of cover first.")],
    )  # fmt: skip
    return _show(page, form, filters, computed=computed, refresh_run=refresh.latest_forecast_run())


@bp.post("/reports/forecast/refresh")
@allow()
def report_forecast_refresh():
    """Queue the refresh (it runs longer than a request may) and come back to the page."""
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "error")
    else:
        try:
            refresh.ask_forecast_refresh()
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash("Forecasts are being refreshed; this page shows when it is done.", "success")
    return redirect(url_for("backoffice.report_forecast"))


@bp.get("/reports/forecast/<int:variant_id>")
@allow()
def variant_forecast(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    found = demand.variant_demand(variant, store_today())
    if request.args.get("format") == "csv":
        return download(table_csv(demand.weeks_table(found)), f"forecast-{variant.sku}.csv")
    return render_template(
        "backoffice/variant_forecast.html",
        d=found,
        chart=forecast_chart(found),
        weeks=demand.weeks_table(found),
    )


def forecast_chart(found: demand.VariantDemand) -> Markup:
    """History, back-test, forecast and projected stock on one time line."""
    past, ahead = len(found.weeks), len(found.ahead)
    labels = [local_date(w, "MMM d") for w in [*found.weeks, *found.ahead]]
    series = [("Units sold", [*found.sold, *[None] * ahead])]
    if found.backtest:
        held = len(found.backtest.forecast)
        series.append(
            ("Back-test", [*[None] * (past - held), *found.backtest.forecast, *[None] * ahead])
        )
    if found.model:
        series.append(("Forecast", [*[None] * past, *found.forecast]))
        series.append(("Projected stock", [*[None] * past, *found.projected]))
    return charts.line_chart(
        title=f"{found.variant.sku}: weekly demand, forecast and projected stock",
        x_title="Week starting", y_title="Units", labels=labels, series=series,
        every=4,
    )  # fmt: skip
