"""After the sale in the browser: a guest buys, finds the order again with "Track your
order", sees the shipment and its tracking link once the warehouse ships part of it,
and cancels the backordered rest.

Shared steps (buying as a guest, shipping what is allocated, tracking from the footer)
are functions here, so more journeys (returns) can be added beside this one.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from shop.accounts.models import User
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.orders.models import Order
from tests import factories
from tests.browser.conftest import add_to_cart, type_address_and_update
from tests.integration.checkout_helpers import ADDRESS, seed_reference_data

IN_STOCK = "Ridgeline Tent (2-person / Green)"
BACKORDERED = "Ridgeline Tent (3-person / Green)"
SHIP_NOW = "Ship what is in stock now, the rest when it arrives"
GOOD_CARD = "4242424242424242"
WAREHOUSE_EMAIL = "wes@shop.test"
CANADA_POST = "https://www.canadapost-postescanada.ca/track-reperez/en#/details/"


@pytest.fixture
def after_sale_store(live_app):
    """Taxes and Canada Post services seeded, and a warehouse user."""
    with live_app.app_context():
        seed_reference_data()
        factories.UserFactory(role="warehouse", email=WAREHOUSE_EMAIL, name="Wes Warehouse")
        db.session.commit()
        db.session.remove()
    return live_app


def guest_buys(page: Page, variants: list[str], *, service: str = "Expedited Parcel") -> str:
    """A guest checks out these tent variants, shipping what is in stock now; paid by the
    demo card. Returns the order number."""
    for variant in variants:
        add_to_cart(page, variant)
    page.get_by_role("link", name="Check out").click()
    type_address_and_update(page)
    page.get_by_role("radio", name=SHIP_NOW).check()
    page.get_by_role("radio", name=service).check()
    page.get_by_role("button", name="Update prices").click()
    page.get_by_role("button", name=re.compile(r"^Place order and pay")).click()
    page.get_by_label("Test card number").fill(GOOD_CARD)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"Order MP\d+ is confirmed"))
    return re.search(r"MP\d+", heading.inner_text()).group(0)


def ship_what_is_allocated(app, number: str) -> str:
    """The warehouse packs and ships the order's allocated units; the tracking number."""
    with app.app_context():
        staff = db.session.scalar(sa.select(User).where(User.email == WAREHOUSE_EMAIL))
        order = db.session.scalar(sa.select(Order).where(Order.number == number))
        shipment = fulfilment.start_shipment(order=order, user=staff)
        fulfilment.confirm_shipment(shipment=shipment, user=staff)
        tracking = shipment.tracking_number
        db.session.commit()
        db.session.remove()
    return tracking


def track_from_footer(page: Page, number: str, contact: str) -> None:
    """A visitor who is not logged in finds the order from the footer's link."""
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Track your order").click()
    expect(page.get_by_role("heading", name="Track your order", level=1)).to_be_visible()
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Email or postal code").fill(contact)
    page.get_by_role("button", name="Find my order").click()


def line_status(page: Page, name: str):
    return page.locator("table.order-lines tbody tr").filter(has_text=name).locator(".line-status")


def test_guest_tracks_the_order_and_cancels_the_backordered_rest(
    browser: Browser, live_server, after_sale_store, page: Page, shot
):
    app = after_sale_store
    number = guest_buys(page, ["2-person / Green", "3-person / Green"])
    expect(line_status(page, IN_STOCK)).to_have_text("Reserved")
    expect(line_status(page, BACKORDERED)).to_have_text(re.compile(r"^Backordered \(ships about "))
    shot(page, "01-confirmed")

    # Another browser, not logged in: a wrong email finds nothing, and says only that.
    visitor = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    visitor.set_default_timeout(10_000)
    other = visitor.new_page()
    try:
        track_from_footer(other, number, "nobody@example.com")
        expect(other.get_by_role("alert")).to_contain_text("We could not find an order")
        shot(other, "02-not-found")
        track_from_footer(other, number, ADDRESS["email"].upper())
        expect(other.get_by_role("heading", level=1)).to_contain_text(f"Order {number}")
        expect(other.locator("#order-status")).to_have_text("Paid")
        shot(other, "03-tracked")

        # The warehouse ships the tent in stock; the visitor sees the shipment.
        tracking = ship_what_is_allocated(app, number)
        other.reload()
        expect(other.locator("#order-status")).to_have_text("Partially shipped")
        expect(line_status(other, IN_STOCK)).to_have_text("Shipped")
        expect(line_status(other, BACKORDERED)).to_have_text(re.compile(r"^Backordered"))
        shipment = other.locator("section.shipment")
        expect(shipment).to_contain_text(re.compile(r"Shipment SH-\d{6}: shipped "))
        expect(shipment).to_contain_text("Canada Post Expedited Parcel")
        link = shipment.get_by_role("link", name=tracking)
        expect(link).to_have_attribute("href", f"{CANADA_POST}{tracking}")
        expect(shipment.get_by_role("row").filter(has_text="TENT-2P-GRN")).to_contain_text("1")
        expect(shipment).not_to_contain_text("TENT-3P-GRN")
        shot(other, "04-shipped")

        # "I don't want to wait": the backordered tent is cancelled and refunded.
        other.get_by_role("link", name=re.compile(r"^I don't want to wait")).click()
        expect(other.get_by_role("heading", level=1)).to_contain_text(
            "Cancel the backordered items of order"
        )
        other.get_by_role("button", name="Yes, cancel the backordered items").click()
        expect(other.get_by_role("status")).to_contain_text(
            re.compile(r"The backordered items are cancelled\. \$[\d,.]+ is on its way back")
        )
        expect(other.locator("#order-status")).to_have_text("Shipped")
        expect(line_status(other, BACKORDERED)).to_have_text("Cancelled")
        expect(line_status(other, IN_STOCK)).to_have_text("Shipped")
        refunds = other.locator("table.refunds")
        expect(refunds).to_contain_text("Cancellation")
        expect(refunds).to_contain_text("Refunded")
        documents = other.locator("table.documents")
        expect(documents).to_contain_text(re.compile(r"Credit note CN-\d{4}-\d+"))
        expect(other.get_by_role("link", name=re.compile(r"^I don't want to wait"))).to_have_count(
            0
        )
        shot(other, "05-rest-cancelled")

        # The credit note downloads from the page.
        href = (
            documents.get_by_role("row")
            .filter(has_text="Credit note")
            .get_by_role("link", name="PDF")
            .get_attribute("href")
        )
        response = other.request.get(href)
        assert response.status == 200
        assert response.body().startswith(b"%PDF")
    finally:
        visitor.close()
