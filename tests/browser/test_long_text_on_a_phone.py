"""What people type may be long without a space: an email of 71 characters, a name or an
address line run together, a search for 200 a's. The page wraps it and still fits the
narrowest phone we serve (360 px) and a laptop: no sideways scrolling, the text all shown.
"""

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from shop.catalogue.models import Variant
from shop.extensions import db
from tests import factories
from tests.browser.conftest import add_to_cart, type_address_and_update
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy

NARROW = {"width": 360, "height": 800}
LAPTOP = {"width": 1280, "height": 900}
LONG_EMAIL = "alexandra.konstantinopoulos.household@sympatico-long-domain-example.com"
LONG_NAME = "Alexandra" + "Konstantinopoulos" * 6  # 111 of the 120 characters allowed
LONG_LINE = "1" + "Konstantinopoulosstreet" * 8  # 185 of the 200 allowed
LONG_QUERY = "a" * 200


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    window = page.evaluate("window.innerWidth")
    assert width <= window, f"the page is {width} px wide in a {window} px window"


@pytest.fixture
def priced_store(live_app):
    """Taxes and shipping services: the checkout prices an address."""
    with live_app.app_context():
        seed_reference_data()
        db.session.remove()
    return live_app


@pytest.fixture
def long_order(priced_store) -> str:
    """A guest's paid order with a long email, name and address line: its link."""
    live_app = priced_store
    with live_app.app_context():
        stool = db.session.scalar(sa.select(Variant).where(Variant.sku == "STOOL-01"))
        live_app.config["WTF_CSRF_ENABLED"] = False  # the checkout helpers post no token
        try:
            order = buy(
                live_app, [(stool, 1)], email=LONG_EMAIL, full_name=LONG_NAME, line1=LONG_LINE
            )
        finally:
            live_app.config["WTF_CSRF_ENABLED"] = True
        link = f"/orders/{order.number}?t={order.access_token}"
        db.session.remove()
    return link


def test_a_long_email_wraps_on_the_checkout_page(browser, live_server, priced_store, shot):
    context = browser.new_context(base_url=live_server, viewport=NARROW)
    page = context.new_page()
    try:
        add_to_cart(page, "2-person / Green")
        page.goto("/checkout/")
        type_address_and_update(page, email=LONG_EMAIL)
        expect(page.get_by_text(f"receipt to {LONG_EMAIL}")).to_be_visible()
        assert_fits(page)
        shot(page, "360")
    finally:
        context.close()


@pytest.mark.parametrize("size", [NARROW, LAPTOP], ids=["360", "1280"])
def test_a_long_email_name_and_address_wrap_on_the_order_page(
    browser, live_server, long_order, shot, size
):
    context = browser.new_context(base_url=live_server, viewport=size)
    page = context.new_page()
    try:
        page.goto(long_order)
        expect(page.get_by_text(f"emailed a confirmation to {LONG_EMAIL}")).to_be_visible()
        address = page.locator("address")
        expect(address).to_contain_text(LONG_NAME)
        expect(address).to_contain_text(LONG_LINE)
        assert_fits(page)
        shot(page, str(size["width"]))
    finally:
        context.close()


@pytest.mark.parametrize("size", [NARROW, LAPTOP], ids=["360", "1280"])
def test_a_long_search_wraps_on_the_results_page(browser, live_server, shot, size):
    context = browser.new_context(base_url=live_server, viewport=size)
    page = context.new_page()
    try:
        page.goto(f"/search?q={LONG_QUERY}")
        expect(page.get_by_role("heading", name=f"Results for “{LONG_QUERY}”")).to_be_visible()
        expect(page.get_by_text(f"No products match “{LONG_QUERY}”")).to_be_visible()
        assert_fits(page)
        shot(page, str(size["width"]))
    finally:
        context.close()


def test_a_long_name_and_email_wrap_on_the_account_page(browser, live_app, live_server, shot):
    with live_app.app_context():
        factories.UserFactory(email=LONG_EMAIL, name=LONG_NAME)
        db.session.commit()
        db.session.remove()
    context = browser.new_context(base_url=live_server, viewport=NARROW)
    page = context.new_page()
    try:
        page.goto("/account/login")
        page.get_by_label("Email").fill(LONG_EMAIL)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name=f"Hello, {LONG_NAME}")).to_be_visible()
        expect(page.get_by_role("link", name=LONG_NAME)).to_be_visible()
        expect(page.get_by_text(LONG_EMAIL)).to_be_visible()
        assert_fits(page)
        shot(page, "360")
    finally:
        context.close()
