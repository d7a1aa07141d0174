"""The warehouse in the browser: To pack, start a shipment, confirm it, the order has shipped.

The order is placed and paid through the demo checkout beforehand; the
warehouse user does the rest on the back-office pages, with CSRF on.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from shop.catalogue.models import Variant
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from tests import factories
from tests.browser.test_staff_journey import log_in, open_menu_link
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy

WAREHOUSE_EMAIL = "wes@shop.test"


@pytest.fixture
def paid_order(live_app) -> str:
    """A guest's paid order of a tent and a stool, both in stock; a warehouse user."""
    with live_app.app_context():
        seed_reference_data()
        tent = db.session.scalar(sa.select(Variant).where(Variant.sku == "TENT-2P-GRN"))
        stool = db.session.scalar(sa.select(Variant).where(Variant.sku == "STOOL-01"))
        live_app.config["WTF_CSRF_ENABLED"] = False  # the checkout helpers post no token
        try:
            order = buy(live_app, [(tent, 1), (stool, 2)], email="gail@example.com")
        finally:
            live_app.config["WTF_CSRF_ENABLED"] = True
        assert order.status == "paid"
        number = order.number
        factories.UserFactory(role="warehouse", email=WAREHOUSE_EMAIL, name="Wes Warehouse")
        db.session.remove()
    return number


def test_warehouse_packs_and_ships_an_order(page: Page, live_app, paid_order, shot):
    log_in(page, WAREHOUSE_EMAIL)
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    # To pack: the paid order with its allocated lines.
    open_menu_link(page, "Warehouse", "To pack")
    expect(page.get_by_role("heading", name="To pack", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=paid_order)
    expect(row).to_contain_text("1 × TENT-2P-GRN")
    expect(row).to_contain_text("2 × STOOL-01")
    expect(row.get_by_role("checkbox", name=f"Pick {paid_order}")).to_be_visible()
    shot(page, "01-to-pack")

    # Start a shipment: the packing rules propose the box; the weight is filled in.
    row.get_by_role("button", name=f"Start shipment for {paid_order}").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Shipment SH-\d{6}\s+Packing$"))
    expect(page.get_by_role("status")).to_contain_text("started for order " + paid_order)
    shipment_number = re.search(r"SH-\d{6}", heading.inner_text()).group(0)
    box = page.locator("#parcels-0-box")
    expect(box).not_to_have_value("")
    expect(page.locator("#parcels-0-weight_g")).to_have_value(re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#lines-0-quantity")).to_have_value("1")
    expect(page.locator("#lines-1-quantity")).to_have_value("2")
    expect(page.get_by_label("Tracking number")).to_have_count(0)  # made on confirming
    shot(page, "02-packing")

    # The packing slip and label, when the documents module serves them.
    if "backoffice.packing_slip_pdf" in live_app.view_functions:
        for link in ("Packing slip (PDF)", "Shipping label (PDF)"):
            href = page.get_by_role("link", name=link).get_attribute("href")
            response = page.request.get(href)
            assert response.status == 200, href
            assert response.headers["content-type"] == "application/pdf"
            assert response.body().startswith(b"%PDF")

    # What is left after it: nothing, as the shipment takes every unit (not listed as left).
    expect(
        page.get_by_role("heading", name="Left on the order after this shipment")
    ).to_be_visible()
    expect(page.get_by_text("Nothing: this shipment takes every unit left.")).to_be_visible()

    # Confirm: the parcel leaves with a tracking number; the order has shipped.
    page.get_by_role("button", name="Confirm shipment").click()
    expect(page.get_by_role("status")).to_contain_text(f"Shipment {shipment_number} shipped")
    expect(page.locator("#shipment-status")).to_have_text("Shipped")
    expect(page.locator("#order-status")).to_have_text("Shipped")
    expect(page.locator("#tracking-number")).to_have_text(re.compile(r"^\d{16}$"))
    tracking = page.locator("#tracking-number").inner_text()
    expect(page.get_by_role("button", name="Confirm shipment")).to_have_count(0)
    expect(page.get_by_text("Nothing: every unit of the order has shipped.")).to_be_visible()
    shot(page, "03-shipped")

    # The order page says so, and the order is no longer waiting to be packed.
    page.get_by_role("link", name=paid_order).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shipped")
    expect(page.get_by_role("cell", name=f"Shipment {shipment_number} shipped")).to_be_visible()
    shot(page, "04-order")
    open_menu_link(page, "Warehouse", "To pack")
    expect(page.get_by_role("row").filter(has_text=paid_order)).to_have_count(0)
    expect(page.get_by_text("Nothing to pack right now.")).to_be_visible()

    # The customer's email, waiting in the outbox, carries the tracking number.
    with live_app.app_context():
        email = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "shipment_shipped")
        )
        assert email.to_address == "gail@example.com"
        assert tracking in email.body_text
        db.session.remove()
