"""The owner's report pages: who may open them, their CSV files against their tables, bad
filters, and refreshing the demand forecasts that the reorder list then uses.

The data is the small fixed store of tests/integration/reports_helpers.py.
"""

import csv
import io
import re
from datetime import datetime, timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.extensions import db
from shop.orders import status as order_status
from shop.planning.models import DemandForecast
from shop.reports.periods import bucket_start
from tests.conftest import PASSWORD, log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.reports_helpers import (
    Departure,
    Line,
    Sale,
    at,
    build_fixed_store,
    insert_order,
    local_today,
)
from tests.two_factor_helpers import pass_code_step

REPORT_PAGES = [
    *(f"/admin/reports/sales?group={g}" for g in
      ("time", "product", "variant", "category", "province", "channel")),
    "/admin/reports/margin?group=product",
    "/admin/reports/margin?group=category",
    "/admin/reports/stock",
    "/admin/reports/backorders",
    "/admin/reports/shipping",
    "/admin/reports/customers",
    "/admin/reports/forecast",
]  # fmt: skip
NOT_OWNERS = (roles.WAREHOUSE, roles.BOOKKEEPER, roles.SALES)
REFUSED = "Your account may not open this page."


@pytest.fixture
def store(app, tax_class):
    return build_fixed_store(tax_class)


def report_urls(store) -> list[str]:
    return [*REPORT_PAGES, f"/admin/reports/forecast/{store.tent.id}"]


def client_of(app, email=None):
    client = app.test_client()
    if email:
        assert log_in(client, email).status_code == 302
    return client


# --- who may open the reports -------------------------------------------------------------


def test_the_owner_opens_every_report_and_downloads_every_table(app, store, staff):
    owner = client_of(app, staff[roles.OWNER].email)
    for url in ["/admin/", *report_urls(store)]:
        response = owner.get(url)
        assert response.status_code == 200, url
        doc = lxml.html.fromstring(response.get_data(as_text=True))
        links = doc.xpath('//table[@class="report"]/caption/a[.="Download CSV"]/@href')
        if url != "/admin/":
            assert links, url
        for link in links:
            csv_response = owner.get(link)
            assert csv_response.status_code == 200, link
            assert csv_response.mimetype == "text/csv", link
            assert csv_response.headers["Content-Disposition"].startswith("attachment;"), link
    response = owner.post("/admin/reports/forecast/refresh")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/reports/forecast"


@pytest.mark.parametrize("role", NOT_OWNERS)
def test_other_staff_are_refused_every_report(app, store, staff, role):
    client = client_of(app, staff[role].email)
    for url in report_urls(store):
        for target in (url, url + ("&" if "?" in url else "?") + "format=csv"):
            response = client.get(target)
            assert response.status_code == 403, (role, target)
            assert REFUSED in text_of(response)
    assert client.post("/admin/reports/forecast/refresh").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DemandForecast)) == 0


@pytest.mark.parametrize("role", NOT_OWNERS)
def test_other_staff_see_only_the_stock_part_of_the_dashboard(app, store, staff, role):
    response = client_of(app, staff[role].email).get("/admin/")
    assert response.status_code == 200
    page = text_of(response)
    doc = lxml.html.fromstring(page)
    assert doc.xpath('//li[@data-tile="Revenue"]') == []
    assert doc.xpath("//li[@data-tile]") == []  # no figure of the business at all
    assert doc.xpath("//svg") == []
    assert "$1,220.00" not in page and "Gross margin" not in page
    assert "Low stock" in page and "Latest stock movements" in page


def test_the_owner_s_dashboard_has_the_business_figures(app, store, staff):
    doc = lxml.html.fromstring(text_of(client_of(app, staff[roles.OWNER].email).get("/admin/")))
    assert doc.xpath('//li[@data-tile="Revenue"]/strong')[0].text_content() == "$1,220.00"
    assert len(doc.xpath('//figure[@class="chart"]/svg')) == 3


def test_guests_are_sent_to_log_in(app, client, store):
    for url in report_urls(store):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/account/login?next="), url
    response = client.post("/admin/reports/forecast/refresh")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_a_customer_is_refused(app, store, customer):
    """A logged-in customer is not sent to log in again: the back office refuses them."""
    client = client_of(app, customer.email)
    for url in report_urls(store):
        response = client.get(url)
        assert response.status_code == 403, url
        assert REFUSED in text_of(response)
    assert client.post("/admin/reports/forecast/refresh").status_code == 403


# --- CSV files against the tables on the page ------------------------------------------------

MONEY = re.compile(r"^-?\$[\d,]+\.\d\d$")
INTEGER = re.compile(r"^-?\d{1,3}(,\d{3})*$")
DAY = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}$")


def as_csv(text: str, percent: bool) -> str:
    """A cell of the page as the CSV writes it: "$1,234.50" -> "1234.50", "46.3%" -> "46.3",
    "1,234" -> "1234", "Mar 5, 2026" -> "2026-03-05"."""
    if percent and text:
        assert text.endswith("%"), text
        return text.removesuffix("%").replace(",", "")
    if MONEY.match(text):
        return text.replace("$", "").replace(",", "")
    if INTEGER.match(text):
        return text.replace(",", "")
    if DAY.match(text):
        return datetime.strptime(text, "%b %d, %Y").date().isoformat()  # noqa: DTZ007
    return text


def page_table(doc, caption: str):
    """(header, rows with the totals row last, the CSV link) of one report table."""
    tables = [
        t for t in doc.xpath('//table[@class="report"]')
        if t.xpath("caption")[0].text_content().startswith(caption)
    ]  # fmt: skip
    assert len(tables) == 1, caption
    table = tables[0]
    header = [th.text_content().strip() for th in table.xpath("thead/tr/th")]
    rows = [
        [" ".join(td.text_content().split()) for td in tr.xpath("td")]
        for tr in table.xpath("tbody/tr | tfoot/tr")
    ]
    return header, rows, table.xpath('caption/a[@class="csv"]/@href')[0]


def compare_with_csv(client, url: str, caption: str) -> tuple[list[str], list[list[str]]]:
    """The CSV of a table holds the page's header and rows, cell by cell; returns the CSV."""
    response = client.get(url)
    assert response.status_code == 200, url
    header, rows, link = page_table(lxml.html.fromstring(response.get_data(as_text=True)), caption)
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    found = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    csv_header, csv_rows = found[0], found[1:]
    percent = [h.endswith(" (%)") for h in csv_header]
    assert [h.removesuffix(" (%)") for h in csv_header] == header
    assert len(csv_rows) == len(rows)
    for on_page, in_file in zip(rows, csv_rows, strict=True):
        assert [as_csv(c, p) for c, p in zip(on_page, percent, strict=True)] == in_file
    return csv_header, csv_rows


@pytest.fixture
def owner(app, staff):
    return client_of(app, staff[roles.OWNER].email)


def test_sales_by_category_csv(store, owner):
    header, rows = compare_with_csv(
        owner, "/admin/reports/sales?group=category", "Sales by category"
    )
    assert header == ["Category", "Units", "Order lines", "Revenue", "Share of revenue (%)"]
    assert rows == [
        ["Outdoor \u203a Tents", "3", "2", "900.00", "73.8"],
        ["Outdoor", "5", "2", "200.00", "16.4"],
        ["Kitchen", "8", "4", "120.00", "9.8"],
        ["Total", "16", "8", "1220.00", "100.0"],
    ]


def test_margin_by_product_csv(store, owner):
    header, rows = compare_with_csv(
        owner, "/admin/reports/margin?group=product", "Gross margin by product"
    )
    assert header == [
        "Product", "Units", "Revenue", "Cost of goods", "Gross margin", "Margin (%)"
    ]  # fmt: skip
    assert rows == [
        ["Ridgeline Tent", "3", "900.00", "540.00", "360.00", "40.0"],
        ["Camp Stool", "5", "200.00", "75.00", "125.00", "62.5"],
        ["Enamel Mug", "8", "120.00", "40.00", "80.00", "66.7"],
    ]


def test_backorder_aging_csv(store, owner):
    header, rows = compare_with_csv(owner, "/admin/reports/backorders", "Backorder aging")
    assert header == ["Waiting", "Orders", "Lines", "Units", "Value"]
    assert rows[0] == ["0-7 days", "1", "1", "2", "80.00"]
    assert rows[-1] == ["Total", "", "2", "4", "680.00"]


def test_top_customers_csv(store, owner):
    header, rows = compare_with_csv(owner, "/admin/reports/customers", "Top 50 customers")
    assert header == [
        "Customer", "Name", "Orders", "Spent", "Orders in all", "Spent in all", "First purchase"
    ]  # fmt: skip
    first = (store.today - timedelta(days=30)).isoformat()
    assert rows[1] == ["alice@example.com", "Alice Archer", "2", "450.00", "3", "480.00", first]
    assert [r[0] for r in rows] == [
        "bob@example.com", "alice@example.com", "carol@example.com", "dave@example.com"
    ]  # fmt: skip


def test_the_csv_keeps_the_filters_of_the_page(store, owner):
    """The download link carries the category and the period shown: the same rows. Over 90
    days, Kitchen has R-1008's two mugs as well."""
    _, rows = compare_with_csv(
        owner,
        f"/admin/reports/sales?group=category&category={store.kitchen.id}&period=90d",
        "Sales by category",
    )
    assert rows == [
        ["Kitchen", "10", "5", "150.00", "100.0"],
        ["Total", "10", "5", "150.00", "100.0"],
    ]


# --- bad filters ----------------------------------------------------------------------------


def period_days(page: str) -> int:
    return int(re.search(r"\((\d+) days?\), compared with", page).group(1))


@pytest.mark.parametrize("url", ["/admin/", *REPORT_PAGES])
def test_bad_filters_get_a_message_beside_the_field_and_the_defaults(store, owner, url):
    today = local_today()
    five, ten, tomorrow = (today + timedelta(days=n) for n in (-5, -10, 1))
    join = "&" if "?" in url else "?"
    cases = {
        "period=bogus": ("period", "Choose a period from the list."),
        f"period=custom&date_from={five}&date_to={ten}": (
            "date_to", "Choose a day on or after the first day."
        ),
        f"period=custom&date_from={five}&date_to={tomorrow}": (
            "date_to", "Choose a day up to today."
        ),
        "period=custom&date_from=31/12/2025": ("date_from", "Enter a date like 2026-03-31."),
        "category=999999": ("category", "Choose a category from the list."),
        "category=tents": ("category", "Choose a category from the list."),
        "channel=phone": ("channel", "Choose a channel from the list."),
        "grain=year": ("grain", "Choose day, week or month."),
    }  # fmt: skip
    for query, (field, message) in cases.items():
        response = owner.get(url + join + query)
        assert response.status_code == 200, query
        page = text_of(response)
        assert message in errors_beside(page, field), query
        assert period_days(page) == 30, query  # the default period instead
    for query in ("period=%00", "category=1%00", "date_from=%002026-01-01&period=custom"):
        response = owner.get(url + join + query)
        assert response.status_code == 400, query
        assert "cannot be used (NUL)" in text_of(response)


def test_chosen_days_without_a_first_day_say_so_beside_the_field(store, owner):
    """ "Chosen days" with no first day falls back to the last 30 days; the owner is told why
    beside the From field (the form has the message: validate_date_from)."""
    response = owner.get("/admin/reports/sales?period=custom")
    assert response.status_code == 200
    page = text_of(response)
    assert period_days(page) == 30
    assert errors_beside(page, "date_from") == ["Choose the first day, or a named period."]


def test_one_chosen_day_is_one_day(store, owner):
    today = local_today()
    page = text_of(
        owner.get(f"/admin/reports/sales?period=custom&date_from={today}&date_to={today}")
    )
    assert "(1 day), compared with" in page
    assert "(1 days)" not in page


def test_bad_filters_still_give_the_default_csv(store, owner):
    response = owner.get("/admin/reports/sales?group=category&period=bogus&format=csv&table=x")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).splitlines()[-1] == "Total,16,8,1220.00,100.0"


def test_a_variant_that_does_not_exist_has_no_forecast_page(store, owner):
    assert owner.get("/admin/reports/forecast/999999").status_code == 404


# --- forecasts and the reorder list -----------------------------------------------------------


def sell_weekly(variant, weeks: int, units: int) -> None:
    """One shipped order of `units` each week, on the Wednesday of each of the last `weeks`
    whole weeks."""
    monday = bucket_start(local_today(), "week")
    for week in range(1, weeks + 1):
        days_ago = (local_today() - (monday - timedelta(weeks=week) + timedelta(days=2))).days
        insert_order(
            Sale(
                f"W-{variant.sku}-{week}", f"buyer{week}@example.com", "Weekly Buyer",
                order_status.SHIPPED, at(days_ago), at(days_ago, 12, 5),
                [Line(variant, units, shipped=units)],
                departures=[Departure("shipped", at(days_ago - 1), [(0, units)])],
            )
        )  # fmt: skip
    db.session.commit()


def reorder_rows(client) -> dict[str, dict[str, str]]:
    doc = lxml.html.fromstring(text_of(client.get("/admin/reorder")))
    header = [th.text_content().strip() for th in doc.xpath("//table/thead/tr/th")]
    found = {}
    for tr in doc.xpath("//table/tbody/tr[td[2]]"):
        cells = dict(zip(header, tr.xpath("td"), strict=True))
        found[cells["SKU"].text_content().strip()] = {
            k: " ".join(v.text_content().split()) for k, v in cells.items()
        } | {"link": (cells["Based on"].xpath("a/@href") or [None])[0]}
    return found


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_forecast_of_one_unit_a_week_over_one_day_says_unit_and_day(app, owner, tax_class):
    variant = VariantFactory(
        product=ProductFactory(name="Slow Candle"), sku="CANDLE-1", price=500, cost=200,
        tax_class=tax_class, stock=30, stock__lead_time_days=1,
    )  # fmt: skip
    sell_weekly(variant, weeks=12, units=1)

    doc = lxml.html.fromstring(text_of(owner.get(f"/admin/reports/forecast/{variant.id}")))
    lead_time = doc.xpath('//li[@data-tile="Lead time"]/strong')[0].text_content()
    assert lead_time == "1 day"
    assert "level 1 unit a week" in " ".join(
        doc.xpath('//p[@class="help"]')[0].text_content().split()
    )


class TestForecastRefresh:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    @pytest.fixture
    def variants(self, app, tax_class):
        steady = VariantFactory(
            product=ProductFactory(name="Steady Lantern"), sku="LANTERN-1", price=2000,
            cost=800, tax_class=tax_class, stock=3, stock__reorder_point=0,
            stock__reorder_quantity=10,
        )  # fmt: skip
        fresh = VariantFactory(
            product=ProductFactory(name="New Kettle"), sku="KETTLE-1", price=3000, cost=1200,
            tax_class=tax_class, stock=1, stock__reorder_point=5, stock__reorder_quantity=10,
        )  # fmt: skip
        sell_weekly(steady, weeks=12, units=5)
        return steady, fresh

    def logged_in_owner(self, app, staff):
        client = app.test_client()
        token = token_in(client.get("/account/login").get_data(as_text=True))
        response = client.post(
            "/account/login",
            data={"email": staff[roles.OWNER].email, "password": PASSWORD, "csrf_token": token},
        )
        response = pass_code_step(client, response, staff[roles.OWNER].email)
        assert response.status_code == 302
        return client

    def test_refresh_stores_forecasts_and_the_reorder_list_uses_them(self, app, staff, variants):
        steady, fresh = variants
        owner = self.logged_in_owner(app, staff)

        # Before: 3 lanterns are above their reorder point (0), so only the kettle is listed.
        before = reorder_rows(owner)
        assert set(before) == {"KETTLE-1"}
        assert before["KETTLE-1"]["Based on"] == "Reorder point"
        assert before["KETTLE-1"]["Suggested"] == "10"

        # A post without the form's token is refused and stores nothing.
        refused = owner.post("/admin/reports/forecast/refresh")
        assert refused.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DemandForecast)) == 0

        page = text_of(owner.get("/admin/reports/forecast"))
        assert "Last computed: never." in page
        response = owner.post(
            "/admin/reports/forecast/refresh",
            data={"csrf_token": token_in(page)},
            follow_redirects=True,
        )
        assert response.status_code == 200
        page = text_of(response)
        # The refresh is a job (here run at once, as huey's immediate mode does); the page
        # says it was queued and shows the run's outcome.
        assert "Forecasts are being refreshed; this page shows when it is done." in flashes(page)
        assert "Demand forecasts: 1 variant with 8 weeks or more of sales." in page
        stored = db.session.scalars(sa.select(DemandForecast)).all()
        assert [f.variant_id for f in stored] == [steady.id]
        assert "LANTERN-1" in page and "Last computed: never." not in page

        # After: 5 a week over 14 days' lead time and a review week is 15 units; 3 on the
        # shelf, so 12 to order (above the reorder quantity of 10).
        after = reorder_rows(owner)
        assert set(after) == {"KETTLE-1", "LANTERN-1"}
        lantern = after["LANTERN-1"]
        assert lantern["Based on"] == "Forecast"
        assert lantern["link"] == f"/admin/reports/forecast/{steady.id}"
        assert lantern["Forecast to cover"] == "15.0"
        assert lantern["Suggested"] == "12"
        assert after["KETTLE-1"]["Based on"] == "Reorder point"
        assert after["KETTLE-1"]["link"] is None

        forecast_page = text_of(owner.get(lantern["link"]))
        assert "Holt's linear trend method on 12 weeks of sales" in forecast_page
        assert owner.get(f"/admin/reports/forecast/{fresh.id}").status_code == 200
