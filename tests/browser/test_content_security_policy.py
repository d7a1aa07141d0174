"""The Content-Security-Policy in a real browser: the main pages of the storefront and
the back office run under it without one violation, and their scripts still work.

Chromium reports every refused script, style or image twice: a console message
("Refused to ...") and a `securitypolicyviolation` event; the test collects both.
A canary (an inline script inserted into the page) proves the listener hears them.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from shop import demo
from shop.catalogue.models import Variant
from shop.clock import store_today
from shop.demo import generate_history
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.planning.demand import refresh_forecasts
from tests.browser.conftest import serve_app, type_address_and_update
from tests.browser.test_owner_dashboard import log_in_as_owner

GOOD_CARD = "4242424242424242"
REPORT_WATCHER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(`${e.violatedDirective} ${e.blockedURI || "inline"} ${location.pathname}`);
});
"""


@pytest.fixture
def live_app(tmp_path):
    """The demo store (catalogue with images, taxes, shipping, staff) and 60 days of sales."""

    def seed():
        demo.seed_demo()
        db.session.commit()
        generate_history(days=60, orders_per_day=4, books=False)
        db.session.commit()
        refresh_forecasts(store_today())
        db.session.commit()

    yield from serve_app(tmp_path, seed, template="demo-60-days")


@pytest.fixture
def in_stock(live_app):
    """A product page's address for a variant with plenty of free stock."""
    with live_app.app_context():
        query = (
            sa.select(Variant)
            .join(StockLevel)
            .where(StockLevel.on_hand - StockLevel.allocated > 5)
            .order_by(Variant.id)
        )
        variant = next(v for v in db.session.scalars(query) if v.is_sellable)
        url = f"/p/{variant.product.slug}?variant={variant.id}"
        category = variant.product.category.slug
        db.session.remove()
    return {"product": url, "category": f"/c/{category}"}


@pytest.fixture
def violations(context):
    """Every CSP violation any page of this browser context reports."""
    found = []
    context.expose_binding("__cspViolation", lambda _source, text: found.append(text))
    context.add_init_script(REPORT_WATCHER)

    def on_console(message):
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            found.append(f"console: {message.text}")

    context.on("console", on_console)
    return found


@pytest.fixture
def policed(page: Page, violations):
    """The page, each of whose documents must carry the store's policy."""
    unpoliced = []

    def on_response(response):
        if response.request.resource_type == "document":
            csp = response.headers.get("content-security-policy", "")
            if "script-src 'self'" not in csp or "frame-ancestors 'none'" not in csp:
                unpoliced.append(response.url)

    page.on("response", on_response)
    yield page
    assert unpoliced == [], "pages without the Content-Security-Policy"


def assert_the_listener_hears_a_violation(page: Page, violations: list) -> None:
    ran = page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__canary = true"; document.body.append(s);
                   return window.__canary === true; }"""
    )
    assert ran is False, "an inline script ran: the policy allows inline scripts"

    def heard() -> bool:  # the event and the console message, each a moment later
        event = any(v.startswith("script-src") for v in violations)
        return event and any(v.startswith("console: ") for v in violations)

    for _ in range(40):
        if heard():
            break
        page.wait_for_timeout(50)
    assert heard(), violations
    violations.clear()


def test_the_storefront_and_checkout_run_under_the_policy(policed: Page, violations, in_stock):
    page = policed
    page.goto("/")
    assert_the_listener_hears_a_violation(page, violations)
    expect(page.locator("img").first).to_be_visible()

    # store.js still submits the sort form when the select changes
    page.goto(in_stock["category"])
    page.get_by_label("Sort by").select_option(index=1)
    expect(page).to_have_url(re.compile(r"[?&]sort="))

    page.goto(in_stock["product"])
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    page.get_by_role("link", name="Check out").click()
    type_address_and_update(page)
    page.get_by_role("radio", name="Regular Parcel").check()
    page.get_by_role("button", name="Update prices").click()
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Place order and pay")).click()
    page.get_by_label("Test card number").fill(GOOD_CARD)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"is confirmed"))
    assert violations == []


def test_the_back_office_charts_and_reports_run_under_the_policy(
    policed: Page, violations, live_app
):
    page = policed
    log_in_as_owner(page, live_app)
    page.goto("/admin/?period=90d")
    charts = page.locator("figure.chart > svg")
    assert charts.count() >= 3
    expect(charts.first).to_be_visible()
    # the chart's own <style> applied (it carries the nonce): without it, SVG fills are black
    fill = charts.first.locator("rect.background").first.evaluate(
        "(el) => getComputedStyle(el).fill"
    )
    assert fill == "rgb(255, 255, 255)", fill
    for report in ("Sales", "Margin", "Stock", "Customers", "Forecast"):
        link = page.get_by_role("navigation", name="Reports").get_by_role("link", name=report)
        link.click()
        expect(link).to_have_attribute("aria-current", "page")
    page.goto("/admin/orders")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert violations == []
