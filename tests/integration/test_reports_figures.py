"""The owner's figures, checked against a small store whose every number is worked out by
hand (tests/integration/reports_helpers.py describes it order by order).

Sold in the last 30 days (paid, partially shipped or shipped; by local day of payment):

order   revenue  cost    units  province  channel  shipping charged/cost   taxes
R-1001  330.00   190.00  3      ON        web      0.00 / 18.00 Regular    HST 42.90
R-1002  120.00    45.00  3      ON        web      15.00 / 14.00 Expedited HST 17.55
R-1003  615.00   365.00  3      QC        web      20.00 / 17.00 Expedited GST 31.75 QST 63.34
R-1004  140.00    50.00  6      BC        web      12.00 / 13.00 Regular   GST 7.60 PST 9.80
R-1005   15.00     5.00  1      ON        counter  0.00 / 0.00 Counter     HST 1.95
total  1220.00   655.00  16

The previous 30 days: R-1008 only (30.00, cost 10.00, 2 units), paid at 23:30 local time
on their last day (already the next day in UTC).
"""

from datetime import timedelta
from decimal import Decimal

import lxml.html
import pytest

from shop.accounts import roles
from shop.reports import backorders, customers, sales, shipping
from shop.reports.filters import ReportFilters
from shop.reports.periods import Period
from tests.conftest import log_in
from tests.integration.reports_helpers import build_fixed_store


@pytest.fixture
def store(app, tax_class):
    return build_fixed_store(tax_class)


@pytest.fixture
def owner(app, client, staff):
    log_in(client, staff[roles.OWNER].email)
    return client


def last_30_days(store) -> Period:
    return Period(store.today - timedelta(days=29), store.today)


def filters(store, **kw) -> ReportFilters:
    return ReportFilters(last_30_days(store), **kw)


def page_of(response):
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


def tiles(doc) -> dict[str, tuple[str, str]]:
    """{label: (value, previous)} of the figure tiles, as the page shows them."""
    found = {}
    for tile in doc.xpath('//li[@class="tile"][strong[@class="tile-value"]]'):
        value = tile.xpath('strong[@class="tile-value"]')[0].text_content().strip()
        previous = tile.xpath('span[@class="tile-previous"]')
        text = " ".join(previous[0].text_content().split()) if previous else ""
        found[tile.get("data-tile")] = (value, text)
    return found


def table_rows(doc, caption_start: str) -> list[list[str]]:
    """The body rows and the totals row of the report table with this caption."""
    tables = [
        t
        for t in doc.xpath('//table[@class="report"]')
        if t.xpath("caption") and t.xpath("caption")[0].text_content().startswith(caption_start)
    ]
    assert len(tables) == 1, caption_start
    return [
        [" ".join(td.text_content().split()) for td in tr.xpath("td")]
        for tr in tables[0].xpath("tbody/tr | tfoot/tr")
    ]


# --- headline figures ------------------------------------------------------------------


def test_totals_of_the_period_and_of_the_one_before(store):
    now = sales.totals(filters(store))
    assert (now.revenue, now.cost, now.units, now.orders) == (122000, 65500, 16, 5)
    assert now.margin == 56500
    assert now.margin_rate == Decimal("0.4631")  # 565 / 1220
    assert now.average_order == 24400
    # Alice bought first in the previous period (R-1008): she returns; Bob, Carol, Dave are new.
    assert (now.new_customers, now.returning_customers) == (3, 1)

    before = sales.totals(filters(store), last_30_days(store).previous())
    assert (before.revenue, before.cost, before.units, before.orders) == (3000, 1000, 2, 1)
    assert before.margin_rate == Decimal("0.6667")
    assert (before.new_customers, before.returning_customers) == (1, 0)


def test_the_dashboard_tiles_show_the_period_against_the_previous_one(store, owner):
    doc = page_of(owner.get("/admin/"))  # the default period: the last 30 days
    shown = tiles(doc)
    assert shown["Revenue"] == ("$1,220.00", "previous $30.00, +3,966.7%")
    assert shown["Orders"] == ("5", "previous 1, +400.0%")
    assert shown["Average order"] == ("$244.00", "previous $30.00, +713.3%")
    assert shown["Gross margin"] == ("$565.00", "previous $20.00, +2,725.0%")
    assert shown["Margin"] == ("46.3%", "previous 66.7%, -30.5%")
    assert shown["Units sold"] == ("16", "previous 2, +700.0%")
    assert shown["New customers"] == ("3", "previous 1, +200.0%")
    assert shown["Returning customers"] == ("1", "previous 0")

    waiting = " ".join(doc.xpath('//li[@data-tile="Open backorders"]')[0].text_content().split())
    # R-1002: 2 stools (80.00) and R-1003: 2 tents (600.00); not the cancelled or unpaid ones.
    assert waiting == "4 units on backorder (2 lines), worth $680.00"
    to_ship = " ".join(doc.xpath('//li[@data-tile="Orders to ship"]')[0].text_content().split())
    assert to_ship == "1 paid order with goods ready to ship"  # R-1003's mug (one: singular)


def test_chosen_days_count_by_the_store_s_local_day(store, owner):
    """R-1008 was paid at 23:30 in Toronto on T-30, which is T-29 in UTC."""
    day = (store.today - timedelta(days=30)).isoformat()
    doc = page_of(owner.get(f"/admin/?period=custom&date_from={day}&date_to={day}"))
    assert tiles(doc)["Revenue"][0] == "$30.00"
    assert tiles(doc)["Units sold"][0] == "2"

    next_day = (store.today - timedelta(days=29)).isoformat()
    doc = page_of(owner.get(f"/admin/?period=custom&date_from={next_day}&date_to={next_day}"))
    assert tiles(doc)["Revenue"][0] == "$0.00"


# --- sales by category, province, channel ---------------------------------------------


def by_label(rows):
    """{label: (units, orders (order lines by product or category), revenue, cost)}."""
    return {r.label: (r.units, r.orders, r.revenue, r.cost) for r in rows}


def test_sales_by_category_and_the_parent_category_takes_in_its_subcategory(store):
    rows = sales.sales_by("category", filters(store))
    assert [r.label for r in rows] == ["Outdoor \u203a Tents", "Outdoor", "Kitchen"]
    assert by_label(rows) == {
        "Outdoor \u203a Tents": (3, 2, 90000, 54000),
        "Outdoor": (5, 2, 20000, 7500),
        "Kitchen": (8, 4, 12000, 4000),
    }

    outdoor = filters(store, category_id=store.outdoor.id)
    assert by_label(sales.sales_by("category", outdoor)) == {
        "Outdoor \u203a Tents": (3, 2, 90000, 54000),
        "Outdoor": (5, 2, 20000, 7500),
    }
    within = sales.totals(outdoor)
    assert (within.revenue, within.cost, within.units, within.orders) == (110000, 61500, 8, 4)

    tents = sales.totals(filters(store, category_id=store.tents.id))
    assert (tents.revenue, tents.units, tents.orders) == (90000, 3, 2)


def test_the_sales_page_by_category_filtered_by_the_parent(store, owner):
    response = owner.get(f"/admin/reports/sales?group=category&category={store.outdoor.id}")
    doc = page_of(response)
    assert table_rows(doc, "Sales by category") == [
        ["Outdoor \u203a Tents", "3", "2", "$900.00", "81.8%"],
        ["Outdoor", "5", "2", "$200.00", "18.2%"],
        ["Total", "8", "4", "$1,100.00", "100.0%"],
    ]
    assert tiles(doc)["Revenue"][0] == "$1,100.00"
    assert tiles(doc)["Orders"][0] == "4"


def test_sales_by_province_on_the_page(store, owner):
    doc = page_of(owner.get("/admin/reports/sales?group=province"))
    assert table_rows(doc, "Sales by province") == [
        ["QC", "3", "1", "$615.00", "50.4%"],
        ["ON", "7", "3", "$465.00", "38.1%"],
        ["BC", "6", "1", "$140.00", "11.5%"],
        ["Total", "16", "5", "$1,220.00", "100.0%"],
    ]


def test_sales_by_channel(store):
    rows = sales.sales_by("channel", filters(store))
    assert by_label(rows) == {"Web store": (15, 4, 120500, 65000), "Counter": (1, 1, 1500, 500)}
    counter = sales.totals(filters(store, channel="counter"))
    assert (counter.revenue, counter.orders, counter.new_customers) == (1500, 1, 1)


def test_margin_by_product(app, store):
    # Each row links to its product's page: built, as on the report page, in a request.
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        rows = sales.sales_by("product", filters(store))
    assert {r.label: (r.units, r.revenue, r.cost, r.margin) for r in rows} == {
        "Ridgeline Tent": (3, 90000, 54000, 36000),
        "Camp Stool": (5, 20000, 7500, 12500),
        "Enamel Mug": (8, 12000, 4000, 8000),
    }


# --- backorders --------------------------------------------------------------------------


def aging(today):
    return {
        b.label: (b.orders, b.lines, b.units, b.value) for b in backorders.backorder_aging(today)
    }


def test_backorder_aging_buckets_by_days_since_the_order_was_placed(store):
    # R-1002 placed 3 days ago (2 stools at 40.00), R-1003 20 days ago (2 tents at 300.00);
    # the cancelled R-1006 and the unpaid R-1007 wait for nothing.
    assert aging(store.today) == {
        "0-7 days": (1, 1, 2, 8000),
        "8-14 days": (0, 0, 0, 0),
        "15-30 days": (1, 1, 2, 60000),
        "Over 30 days": (0, 0, 0, 0),
    }
    # Eleven days on, they are 14 and 31 days old: the last day of one bucket, the first of
    # the next.
    assert aging(store.today + timedelta(days=11)) == {
        "0-7 days": (0, 0, 0, 0),
        "8-14 days": (1, 1, 2, 8000),
        "15-30 days": (0, 0, 0, 0),
        "Over 30 days": (1, 1, 2, 60000),
    }
    # Five days on: 8 days (first day of 8-14) and 25 days.
    assert aging(store.today + timedelta(days=5))["8-14 days"] == (1, 1, 2, 8000)


def test_the_backorder_page_shows_the_aging_table(store, owner):
    doc = page_of(owner.get("/admin/reports/backorders"))
    assert table_rows(doc, "Backorder aging") == [
        ["0-7 days", "1", "1", "2", "$80.00"],
        ["8-14 days", "0", "0", "0", "$0.00"],
        ["15-30 days", "1", "1", "2", "$600.00"],
        ["Over 30 days", "0", "0", "0", "$0.00"],
        ["Total", "", "2", "4", "$680.00"],
    ]


def test_fill_rate_counts_lines_complete_in_the_first_shipment_that_left(store):
    # R-1001: both lines in its one shipment. R-1002: 1 of 3 stools. R-1004: its first
    # shipment that left had both stools but 1 of 4 mugs (a cancelled one, made earlier with
    # everything, does not count). R-1003 and R-1005 never shipped.
    now = backorders.fill_rate(filters(store))
    assert (now.lines, now.complete, now.rate) == (5, 3, Decimal("0.6"))
    before = backorders.fill_rate(filters(store).for_period(last_30_days(store).previous()))
    assert (before.lines, before.complete, before.rate) == (1, 1, Decimal("1"))


def test_the_fill_rate_table(store, owner):
    doc = page_of(owner.get("/admin/reports/backorders"))
    assert table_rows(doc, "Fill rate") == [
        ["This period", "5", "3", "60.0%"],
        ["Previous period", "1", "1", "100.0%"],
    ]


# --- shipping and taxes ------------------------------------------------------------------


def test_shipping_charged_against_its_cost_per_service(store):
    table = shipping.shipping_by_service(filters(store))
    got = [
        (r["service"], r["orders"], r["free"], r["charged"], r["cost"], r["difference"])
        for r in [*table.rows, table.totals]
    ]
    assert got == [
        ("Counter pick-up", 1, 1, 0, 0, 0),
        ("Expedited Parcel", 2, 0, 3500, 3100, 400),
        ("Regular Parcel", 2, 1, 1200, 3100, -1900),
        ("Total", 5, 2, 4700, 6200, -1500),
    ]


def test_the_shipping_page(store, owner):
    doc = page_of(owner.get("/admin/reports/shipping"))
    assert table_rows(doc, "Shipping charged vs cost") == [
        ["Counter pick-up", "1", "1", "$0.00", "$0.00", "$0.00", ""],
        ["Expedited Parcel", "2", "0", "$35.00", "$31.00", "$4.00", "112.9%"],
        ["Regular Parcel", "2", "1", "$12.00", "$31.00", "-$19.00", "38.7%"],
        ["Total", "5", "2", "$47.00", "$62.00", "-$15.00", "75.8%"],
    ]


def test_taxes_per_component(store):
    table = shipping.taxes_collected(filters(store))
    got = [(r["component"], r["rate"], r["orders"], r["taxable"], r["amount"]) for r in table.rows]
    assert got == [
        ("GST", Decimal("0.05"), 2, 78700, 3935),
        ("HST", Decimal("0.13"), 3, 48000, 6240),
        ("PST", Decimal("0.07"), 1, 14000, 980),
        ("QST", Decimal("0.09975"), 1, 63500, 6334),
    ]
    assert table.totals["amount"] == 17489


def test_the_taxes_table_shows_each_rate_as_charged(store, owner):
    doc = page_of(owner.get("/admin/reports/shipping"))
    rows = table_rows(doc, "Taxes charged on the period")
    assert [r[0] for r in rows] == ["GST", "HST", "PST", "QST", "Total"]
    assert [r[2:] for r in rows[:4]] == [
        ["2", "$787.00", "$39.35"],
        ["3", "$480.00", "$62.40"],
        ["1", "$140.00", "$9.80"],
        ["1", "$635.00", "$63.34"],
    ]
    assert rows[4][-1] == "$174.89"
    assert [Decimal(r[1].removesuffix("%")) for r in rows[:3]] == [5, 13, 7]
    # Quebec's QST is 9.975%: the owner must see the rate that was charged, not 10.0%.
    assert rows[3][1] == "9.975%"


# --- customers ---------------------------------------------------------------------------


def test_customer_figures_and_repeat_rate(store):
    figures = customers.customer_figures(filters(store))
    # Alice (two emails in different case are one customer), Bob, Carol, Dave; only Alice has
    # bought more than once. Eve's cancelled and Frank's unpaid orders are no purchase.
    assert (figures.customers, figures.repeat) == (4, 1)
    assert figures.repeat_rate == Decimal("0.25")
    assert (figures.lifetime_customers, figures.lifetime_orders) == (4, 6)
    assert figures.lifetime_revenue == 125000
    assert figures.lifetime_value == 31250
    assert figures.orders_per_customer == Decimal("1.5")


def test_top_customers(store):
    table = customers.top_customers(filters(store))
    got = [
        (r["email"], r["name"], r["orders"], r["revenue"], r["lifetime_orders"],
         r["lifetime_revenue"], r["first"])
        for r in table.rows
    ]  # fmt: skip
    today = store.today
    assert got == [
        ("bob@example.com", "Bob Boucher", 1, 61500, 1, 61500, today - timedelta(days=20)),
        ("alice@example.com", "Alice Archer", 2, 45000, 3, 48000, today - timedelta(days=30)),
        ("carol@example.com", "Carol Chan", 1, 14000, 1, 14000, today - timedelta(days=15)),
        ("dave@example.com", "Dave Dubois", 1, 1500, 1, 1500, today - timedelta(days=1)),
    ]


def test_the_customers_page_tiles(store, owner):
    shown = tiles(page_of(owner.get("/admin/reports/customers")))
    assert shown["Customers"] == ("4", "previous 1, +300.0%")
    # By the end of the previous period Alice had bought once: no repeat customer then.
    assert shown["Repeat customers"] == ("1", "previous 0")
    assert shown["Repeat rate"] == ("25.0%", "previous 0.0%")
    assert shown["Lifetime value"][0] == "$312.50"
    assert shown["Orders per customer"][0] == "1.5"
