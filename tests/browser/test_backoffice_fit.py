"""The back office on a laptop (1280 x 800): the owner reads the busiest lists of a store
with a few weeks of trade, and no page scrolls sideways; the grouped menu opens."""

import pytest
from playwright.sync_api import Page, expect

from shop import demo
from shop.demo import generate_history
from shop.extensions import db
from tests.browser.conftest import SCREENSHOTS, serve_app
from tests.browser.test_owner_dashboard import log_in_as_owner

PAGES = {
    "invoice list": "/admin/accounting/invoices",
    "journal": "/admin/accounting/journal",
    "orders": "/admin/orders",
    "shipments": "/admin/shipments",
    "products": "/admin/products",
    "reorder list": "/admin/reorder",
    "demand forecast": "/admin/reports/forecast",
    "demand forecast of 30 days": "/admin/reports/forecast?period=30d",
}


# The page against the window, and the widest table against the room it has: a table
# wider than its column spills out even while a wide window hides it.
WIDTHS = """() => ({
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
    "widest table": Math.max(0, ...[...document.querySelectorAll("main table")].map(
        (t) => t.getBoundingClientRect().width)),
    room: ((main) => main.clientWidth - parseFloat(getComputedStyle(main).paddingLeft)
        - parseFloat(getComputedStyle(main).paddingRight))(document.querySelector("main")),
})"""


@pytest.fixture
def live_app(tmp_path):
    """The demo store with ten days of sales and their books."""
    yield from serve_app(tmp_path, seed_demo_with_books, template="demo-10-days-books")


def seed_demo_with_books():
    demo.seed_demo()
    db.session.commit()
    generate_history(days=10, orders_per_day=6)
    db.session.commit()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_every_busy_back_office_page_fits_a_laptop(page: Page, live_app, live_server):
    log_in_as_owner(page, live_app)
    too_wide = {}
    for name, path in PAGES.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        widths = page.evaluate(WIDTHS)
        if widths["page"] > widths["window"] or widths["widest table"] > widths["room"]:
            too_wide[name] = widths
    assert too_wide == {}

    page.goto("/admin/accounting/journal")
    nav = page.get_by_role("navigation", name="Back office")
    nav.locator("summary", has_text="Books").click()
    expect(nav.get_by_role("link", name="Journal")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Invoices and credit notes")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "backoffice-menu.png"))
    # Opening another group closes this one (menu.js); Escape closes all.
    nav.locator("summary", has_text="Warehouse").click()
    expect(nav.get_by_role("link", name="Journal")).to_be_hidden()
    expect(nav.get_by_role("link", name="To pack")).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="To pack")).to_be_hidden()
