"""Checkout in the browser with the demo provider: the one page (address, delivery,
review), then pay.

A guest buys one tent in stock and one that must wait for the supplier, so the page
offers both shipping policies; with JavaScript on, each choice re-prices the page in
the background. A customer with JavaScript OFF picks a saved address and waits to
ship everything together, with the page's "Update prices" button.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from shop.accounts.models import User
from shop.catalogue.models import Variant
from shop.extensions import db
from shop.promise.availability import availability
from tests import factories
from tests.browser.conftest import CATALOGUE, add_to_cart, type_address_and_update
from tests.integration.checkout_helpers import ADDRESS, seed_reference_data

IN_STOCK = "Ridgeline Tent (2-person / Green)"
BACKORDERED = "Ridgeline Tent (3-person / Green)"
SHIP_NOW = "Ship what is in stock now, the rest when it arrives"
SHIP_TOGETHER = "Wait and ship everything together"
DECLINE_CARD = "4000000000000002"
GOOD_CARD = "4242424242424242"
MONEY = re.compile(r"\$[\d,]+\.\d\d|Free")


@pytest.fixture
def checkout_store(live_app):
    """Taxes and Canada Post services seeded; the backordered tent's ship date as shown."""
    with live_app.app_context():
        seed_reference_data()
        tent_3p = db.session.query(Variant).filter_by(sku="TENT-3P-GRN").one()
        ship_date = availability(tent_3p, 1).ship_date
        db.session.remove()
    with live_app.test_request_context():
        shown = live_app.jinja_env.filters["date"](ship_date)
    return {"ship_date": shown}


def line_row(page: Page, name: str):
    return page.get_by_role("row").filter(has_text=name)


def totals(page: Page) -> dict[str, str]:
    """The order table's footer: its labels (shipping label shortened) and amounts."""
    figures = {}
    for row in page.locator("table.order-lines tfoot tr").all():
        label = row.locator("th").inner_text().strip()
        amount = row.locator("td").inner_text().strip()
        figures["Shipping" if label.startswith("Shipping") else label] = amount
    return figures


def test_guest_checks_out_ships_now_declined_then_paid(page: Page, checkout_store, shot):
    ship_date = checkout_store["ship_date"]
    add_to_cart(page, "2-person / Green")
    add_to_cart(page, "3-person / Green")
    expect(page.get_by_role("link", name="Cart (2)", exact=True)).to_be_visible()
    shot(page, "01-cart")

    # Step 1: the address, as a guest.
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Where should we ship?")).to_be_visible()
    expect(page.locator('[aria-current="step"]')).to_have_text("1. Address, delivery and review")
    expect(page.get_by_text("Enter your address to see the delivery choices")).to_be_visible()
    expect(page.get_by_label("Saved address")).to_have_count(0)  # a guest has none
    page.get_by_label("Email for your receipt").fill(ADDRESS["email"])
    page.get_by_label("Full name").fill(ADDRESS["full_name"])
    page.get_by_label("Address", exact=True).fill(ADDRESS["line1"])
    page.get_by_label("City").fill(ADDRESS["city"])
    page.get_by_label("Province").select_option("ON")
    page.get_by_label("Postal code").fill("m5h2n2")
    shot(page, "02-address")
    page.get_by_role("button", name="Update prices").click()

    # The same page: services with prices, and both policies, each priced.
    expect(page.get_by_role("heading", name="Delivery", level=2)).to_be_visible()
    policies = page.get_by_role("group", name="When should we ship?")
    ship_now = policies.get_by_role("radio", name=SHIP_NOW)
    together = policies.get_by_role("radio", name=SHIP_TOGETHER)
    expect(ship_now).to_be_visible()
    expect(together).to_be_visible()
    # Each policy's label says what it costs from, and when the parcels leave.
    # Regular Parcel is free over $150, so both start at nothing: said in words, not "$0.00".
    expect(ship_now).to_have_accessible_name(re.compile(rf"^{SHIP_NOW} \W+ free shipping: "))
    expect(together).to_have_accessible_name(re.compile(rf"^{SHIP_TOGETHER} \W+ free shipping: "))
    expect(policies).not_to_contain_text("$0.00")
    for service in ("Regular Parcel", "Expedited Parcel", "Xpresspost", "Priority"):
        row = page.get_by_role("row").filter(has=page.get_by_role("radio", name=service))
        expect(row).to_have_count(1)
        expect(row.locator('[data-policy="ship_available_now"]')).to_contain_text(MONEY)
        expect(row.locator('[data-policy="ship_complete"]')).to_contain_text(MONEY)
    expect(page.get_by_text(f"ships about {ship_date}").first).to_be_visible()
    before = totals(page)
    ship_now.check()
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/checkout/" in r.url
    ) as answer:
        page.get_by_role("radio", name="Expedited Parcel").check()
    assert answer.value.status == 200
    # store.js re-priced in the background: no button pressed, the total is Expedited's.
    expect(page.locator("#one-page")).to_contain_text("Canada Post Expedited Parcel, ship what")
    expect(page.get_by_role("radio", name="Expedited Parcel")).to_be_checked()
    assert totals(page)["Total"] != before["Total"]
    shot(page, "03-delivery")

    # The review on the same page: each line's status, shipping, HST and total.
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(line_row(page, IN_STOCK)).to_contain_text("In stock")
    expect(line_row(page, BACKORDERED)).to_contain_text(f"Ships about {ship_date}")
    expect(page.get_by_role("row", name=re.compile(r"^Shipping"))).to_contain_text(MONEY)
    expect(page.get_by_role("row", name=re.compile(r"^HST 13%"))).to_contain_text(MONEY)
    reviewed = totals(page)
    assert set(reviewed) == {"Subtotal", "Shipping", "HST 13%", "Total"}, reviewed
    assert reviewed["Subtotal"] == "$778.00"  # 349.00 + 429.00
    assert reviewed["Shipping"] != "Free"
    shot(page, "04-review")
    page.get_by_role("button", name=re.compile(r"^Place order and pay")).click()

    # Step 4: the demo provider's page, its banner and test cards.
    pay_heading = page.get_by_role("heading", level=1)
    expect(pay_heading).to_have_text(re.compile(r"^Pay \$[\d,.]+ for order MP\d+$"))
    expect(page.get_by_text("Demo payment: no money moves.")).to_be_visible()
    cards = page.get_by_role("table").filter(has_text="Test card number")
    expect(cards).to_contain_text(GOOD_CARD)
    expect(cards).to_contain_text(DECLINE_CARD)
    expect(pay_heading).to_contain_text(reviewed["Total"])
    shot(page, "05-pay")

    page.get_by_label("Test card number").fill(DECLINE_CARD)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("alert")).to_contain_text("Payment declined")
    expect(page.get_by_text("your items are no longer reserved")).to_be_visible()
    expect(page.get_by_text("Demo payment: no money moves.")).to_be_visible()
    shot(page, "06-declined")

    page.get_by_label("Test card number").fill(GOOD_CARD)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    # The confirmation: number, policy, line statuses and the totals reviewed.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"Order MP\d+ is confirmed"))
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.get_by_text(SHIP_NOW)).to_be_visible()
    expect(line_row(page, IN_STOCK)).to_contain_text("Reserved")
    expect(line_row(page, BACKORDERED)).to_contain_text(f"Backordered (ships about {ship_date})")
    confirmed = totals(page)
    assert confirmed == reviewed
    shot(page, "07-confirmed")


@pytest.fixture
def page_without_js(browser, live_server):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_customer_without_javascript_picks_saved_address_and_waits_to_ship_together(
    page_without_js: Page, live_app, checkout_store, shot
):
    page = page_without_js
    with live_app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=CATALOGUE.customer_email))
        factories.AddressFactory(
            user=user, full_name=CATALOGUE.customer_name, line1="12 Queen St W"
        )
        db.session.commit()
        db.session.remove()

    page.goto("/account/login")
    page.get_by_label("Email").fill(CATALOGUE.customer_email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=CATALOGUE.customer_name)).to_be_visible()

    add_to_cart(page, "2-person / Green")
    add_to_cart(page, "3-person / Green")
    page.get_by_role("link", name="Check out").click()

    expect(page.get_by_role("heading", name="Where should we ship?")).to_be_visible()
    saved = page.get_by_label("Saved address")
    expect(saved).to_have_value("0")  # "A new address" until the customer picks one
    expect(page.get_by_role("group", name="New address")).to_contain_text("Postal code")
    saved.select_option(label=saved.get_by_role("option", name="12 Queen St W").text_content())
    shot(page, "01-saved-address")
    page.get_by_role("button", name="Update prices").click()

    expect(page.get_by_role("heading", name="Delivery", level=2)).to_be_visible()
    expect(page.get_by_label("Address", exact=True)).to_have_value("12 Queen St W")
    page.get_by_role("radio", name=SHIP_TOGETHER).check()
    page.get_by_role("radio", name="Regular Parcel").check()
    page.get_by_role("button", name="Update prices").click()  # no script: the button
    shot(page, "02-delivery")

    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(page.get_by_text("Regular Parcel, wait and ship everything together")).to_be_visible()
    expect(page.get_by_text(f"receipt to {CATALOGUE.customer_email}")).to_be_visible()
    reviewed = totals(page)
    page.get_by_role("button", name=re.compile(r"^Place order and pay")).click()

    expect(page.get_by_text("Demo payment: no money moves.")).to_be_visible()
    page.get_by_label("Test card number").fill(GOOD_CARD)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"Order MP\d+ is confirmed")
    )
    expect(page.get_by_text(SHIP_TOGETHER)).to_be_visible()
    expect(line_row(page, BACKORDERED)).to_contain_text(
        f"Backordered (ships about {checkout_store['ship_date']})"
    )
    assert totals(page) == reviewed
    assert reviewed["Shipping"] == "Free"  # Regular Parcel over $150, on both pages alike
    shot(page, "03-confirmed")


def test_an_order_placed_in_another_tab_is_where_this_tab_goes_next(page: Page, checkout_store):
    """Two tabs at the checkout: the order placed in one, a change of delivery in the other
    takes that tab to paying the same order (not to an empty cart that lost it)."""
    add_to_cart(page, "2-person / Green")
    page.get_by_role("link", name="Check out").click()
    type_address_and_update(page)
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()

    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("button", name=re.compile(r"^Place order and pay")).click()
    pay_heading = re.compile(r"^Pay \$[\d,.]+ for order (MP\d+)$")
    expect(other.get_by_role("heading", level=1)).to_have_text(pay_heading)
    number = pay_heading.match(other.get_by_role("heading", level=1).inner_text()).group(1)

    # click, not check: the re-price leads away, so the radio is gone before check can see it
    page.get_by_role("radio", name="Expedited Parcel").click()  # store.js re-prices
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Pay {other_total(other)} for order {number}"
    )
    expect(
        page.get_by_text(f"Your order {number} was placed once and waits for payment.")
    ).to_be_visible()


def other_total(page: Page) -> str:
    return re.match(
        r"^Pay (\$[\d,.]+) for", page.get_by_role("heading", level=1).inner_text()
    ).group(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_code_applied_keeps_the_address_just_typed(
    browser, live_app, live_server, checkout_store, javascript
):
    """The customer changes the address, then types a code and presses "Apply" (not
    "Update prices" first): the new address stays, with its taxes, and the code applies."""
    from decimal import Decimal

    from shop.discounts.models import PERCENT, Discount

    with live_app.app_context():
        db.session.add(Discount(code="SAVE10", kind=PERCENT, percent=Decimal(10), min_subtotal=0))
        db.session.commit()
        db.session.remove()
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844},
        java_script_enabled=javascript,
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        add_to_cart(page, "2-person / Green")
        page.get_by_role("link", name="Check out").click()
        type_address_and_update(page)
        expect(page.get_by_text("HST 13%")).to_be_visible()

        page.get_by_label("Address", exact=True).fill("99 Granville St")
        page.get_by_label("City").fill("Vancouver")
        page.get_by_label("Province").select_option("BC")
        page.get_by_label("Postal code").fill("V6B 1A1")
        page.get_by_label("Discount code").fill("save10")
        page.get_by_role("button", name="Apply").click()

        expect(page.locator(".flash")).to_have_text("Discount code SAVE10 applied.")
        expect(page.get_by_label("City")).to_have_value("Vancouver")
        expect(page.get_by_label("Address", exact=True)).to_have_value("99 Granville St")
        expect(page.get_by_text("PST 7%")).to_be_visible()
        expect(page.locator("#discount")).to_be_visible()
    finally:
        context.close()
