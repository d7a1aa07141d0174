"""A return in the browser: the customer asks for one line back from the order page, the
warehouse authorises the request and receives the parcel, the customer sees the refund.

The order is bought, paid and shipped through the real use cases beforehand; the
customer (a guest, with the link of her emails) and the warehouse each use their own
browser, with CSRF on.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from shop.catalogue.models import Variant
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.refunds.models import Refund
from tests import factories
from tests.browser.test_staff_journey import log_in, open_menu_link
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.returns_helpers import ship_everything

WAREHOUSE_EMAIL = "wes@shop.test"
GAIL = "gail@example.com"


@pytest.fixture
def shipped_order(live_app) -> str:
    """A guest's order of a tent and two stools, paid and shipped: its link (with the token)."""
    with live_app.app_context():
        seed_reference_data()
        tent = db.session.scalar(sa.select(Variant).where(Variant.sku == "TENT-2P-GRN"))
        stool = db.session.scalar(sa.select(Variant).where(Variant.sku == "STOOL-01"))
        live_app.config["WTF_CSRF_ENABLED"] = False  # the checkout helpers post no token
        try:
            order = ship_everything(buy(live_app, [(tent, 1), (stool, 2)], email=GAIL))
        finally:
            live_app.config["WTF_CSRF_ENABLED"] = True
        assert order.status == "shipped"
        link = f"/orders/{order.number}?t={order.access_token}"
        factories.UserFactory(role="warehouse", email=WAREHOUSE_EMAIL, name="Wes Warehouse")
        db.session.remove()
    return link


def test_customer_returns_a_line(page: Page, browser, live_server, live_app, shipped_order, shot):
    # The customer asks to send one stool back, from her order page.
    page.goto(shipped_order)
    page.get_by_role("link", name="Return items").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Return items from order")
    stool_row = page.get_by_role("row").filter(has_text="Folding Camp Stool")
    stool_row.get_by_label("How many of Folding Camp Stool").fill("1")
    stool_row.get_by_label("Why").select_option(label="Wrong size or fit")
    page.get_by_label("Anything we should know? (optional)").fill("Too low for me.")
    shot(page, "01-ask")
    page.get_by_role("button", name="Ask for a return").click()
    expect(page.get_by_role("status")).to_contain_text("requested")
    returns = page.locator("#returns")
    expect(returns).to_contain_text("1 x Folding Camp Stool (Wrong size or fit)")
    expect(returns.locator(".return-status")).to_have_text("Requested")
    rma = re.search(r"RMA-\d{4}-\d{6}", returns.inner_text()).group(0)
    shot(page, "02-requested")

    # The warehouse authorises it and receives the parcel, in its own browser.
    staff_context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}
    )
    staff_context.set_default_timeout(10_000)
    staff = staff_context.new_page()
    try:
        log_in(staff, WAREHOUSE_EMAIL)
        open_menu_link(staff, "Sell", "Returns")
        expect(staff.get_by_role("heading", name="Returns", level=1)).to_be_visible()
        staff.get_by_role("link", name=rma).click()
        expect(staff.locator("#return-status")).to_have_text("Requested")
        staff.get_by_label("Note to the customer").fill("Send it back, no problem.")
        shot(staff, "03-staff-decide")
        staff.get_by_role("button", name="Authorise").click()
        expect(staff.get_by_role("status")).to_contain_text(f"Return {rma} authorised")
        expect(staff.locator("#return-status")).to_have_text("Authorised")
        expect(staff.locator("#refund-rule")).to_contain_text("No reason is the store's fault")
        row = staff.locator("#receive-form tr").filter(has_text="STOOL-01")
        expect(row.get_by_label("Resellable")).to_have_value("1")
        shot(staff, "04-staff-receive")
        staff.get_by_role("button", name="Receive and refund").click()
        expect(staff.get_by_role("status")).to_contain_text(f"Return {rma} received")
        expect(staff.locator("#return-status")).to_have_text("Refunded")
        expect(staff.locator("#return-refunded")).to_contain_text("$")
        shot(staff, "05-staff-refunded")
    finally:
        staff_context.close()

    # The customer sees it refunded on her order page, and has the slip and the emails.
    page.goto(shipped_order)
    returns = page.locator("#returns")
    expect(returns.locator(".return-status")).to_have_text("Refunded")
    expect(returns.locator(".return-refunded")).to_contain_text("Refunded $")
    expect(returns.get_by_role("link", name=f"Return slip {rma} (PDF)")).to_be_visible()
    expect(page.get_by_role("link", name="Return items")).to_have_count(1)  # one stool left
    shot(page, "06-customer-refunded")

    with live_app.app_context():
        kinds = db.session.scalars(
            sa.select(OutboxMessage.kind)
            .where(OutboxMessage.to_address == GAIL)
            .order_by(OutboxMessage.id)
        ).all()
        refund = db.session.scalar(sa.select(Refund))
        # One stool with its 13 % HST; the shipping stays (the customer changed their mind).
        assert refund.status == "succeeded" and refund.amount == 3389
        db.session.remove()
    assert kinds[-3:] == ["return_requested", "return_authorised", "return_refunded"]
