"""The owner's dashboard in a real browser: the demo store with a few months of sales,
figure tiles, charts drawn on the server, and a variant's demand forecast."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from shop import demo
from shop.clock import store_today
from shop.demo import generate_history
from shop.extensions import db
from shop.planning.demand import refresh_forecasts
from tests.browser.conftest import SCREENSHOTS, serve_app
from tests.browser.test_staff_journey import log_in
from tests.two_factor_helpers import factor_of

MONEY = re.compile(r"^\$\d{1,3}(,\d{3})*\.\d\d$")


@pytest.fixture
def live_app(tmp_path):
    """The demo store (catalogue, staff accounts) with 120 days of sales and forecasts."""
    yield from serve_app(tmp_path, seed_demo_with_history, template="demo-120-days")


def seed_demo_with_history():
    demo.seed_demo()
    db.session.commit()
    generate_history(days=120, orders_per_day=6, books=False)
    db.session.commit()
    assert refresh_forecasts(store_today()) > 0
    db.session.commit()


def log_in_as_owner(page: Page, app) -> None:
    owner = next(a for a in demo.ACCOUNTS if a[0] == "owner")
    with app.app_context():
        secret = factor_of(owner[1]).secret
        db.session.remove()
    log_in(page, owner[1], owner[3], totp_secret=secret)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def test_the_owner_reads_the_dashboard_and_a_forecast(page: Page, live_app, live_server):
    started = time.perf_counter()
    log_in_as_owner(page, live_app)

    page.goto("/admin/?period=90d")
    expect(page.locator(".period-line")).to_contain_text("(90 days)")
    revenue = page.locator('li.tile[data-tile="Revenue"] .tile-value')
    expect(revenue).to_have_text(MONEY)
    expect(page.locator('li.tile[data-tile="Revenue"] .tile-previous')).to_contain_text("$")
    charts = page.locator("figure.chart > svg")
    assert charts.count() >= 3
    for title in ("Revenue per week", "Top products by revenue", "Top categories by revenue"):
        chart = charts.filter(has=page.locator("text.plot_title", has_text=title))
        expect(chart).to_have_count(1)
        expect(chart).to_be_visible()
        assert chart.bounding_box()["height"] > 200, title
    # The revenue chart draws this period and the previous one.
    expect(charts.first.locator(".legend")).to_have_count(2)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "owner-dashboard.png"), full_page=True)

    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Forecast").click()
    expect(page.get_by_role("heading", name="Demand forecast", level=1)).to_be_visible()
    table = page.locator('table.report[data-table="Soonest to run out"]')
    wape = table.locator("thead th").all_inner_texts().index("Back-test error (WAPE)") + 1
    backtested = table.locator("tbody tr").filter(
        has=page.locator(f"td:nth-child({wape})", has_text="%")
    )
    link = backtested.first.locator("td:first-child a")
    sku = link.inner_text()
    link.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(sku)
    chart = page.locator("figure.chart > svg")
    expect(chart.locator("text.plot_title")).to_have_text(
        f"{sku}: weekly demand, forecast and projected stock"
    )
    expect(chart).to_be_visible()
    expect(page.locator("p.backtest")).to_contain_text("Back-test: fitted without the last 8 weeks")
    expect(page.locator('li.tile[data-tile="Suggested order"] .tile-value')).to_have_text(
        re.compile(r"^\d+$")
    )
    page.screenshot(path=str(SCREENSHOTS / "owner-variant-forecast.png"), full_page=True)
    assert time.perf_counter() - started < 20
