"""A visitor browses, searches, fills a cart, registers, logs out and back in."""

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from shop.extensions import db
from shop.notifications.models import OutboxMessage
from tests.browser.conftest import CATALOGUE, SUPPLIER_LEAD_DAYS

TENT_GREEN = "Ridgeline Tent (2-person / Green)"


def registration_link_sent_to(app, email: str) -> str:
    """The link of the one "finish creating your account" email to this address."""
    with app.app_context():
        bodies = db.session.scalars(
            sa.select(OutboxMessage.body_text).where(
                OutboxMessage.to_address == email, OutboxMessage.kind == "registration"
            )
        ).all()
        db.session.remove()
    assert len(bodies) == 1, f"expected one registration email to {email}, found {len(bodies)}"
    return re.search(r"https?://\S+/account/register/\S+", bodies[0]).group(0)


def product_card(page: Page, name: str):
    return page.get_by_role("listitem").filter(has=page.get_by_role("link", name=name, exact=True))


def search_for(page: Page, text: str) -> None:
    page.get_by_role("searchbox", name="Search").fill(text)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results for \u201c{text}\u201d")


def cart_row(page: Page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def expect_cart_count(page: Page, count: int) -> None:
    expect(page.get_by_role("link", name=f"Cart ({count})", exact=True)).to_be_visible()


def expect_subtotal(page: Page, items: int, amount: str) -> None:
    footer = page.get_by_role("row").filter(has_text="Subtotal")
    expect(footer).to_contain_text(f"Subtotal ({items} item{'' if items == 1 else 's'})")
    expect(footer).to_contain_text(amount)


def test_visitor_browses_fills_cart_registers_and_keeps_it(page: Page, live_app, shot):
    backorder_days = SUPPLIER_LEAD_DAYS + live_app.config["HANDLING_DAYS"]

    # Home page: the category tree.
    page.goto("/")
    expect(page.get_by_role("heading", name="Shop by category")).to_be_visible()
    expect(page.get_by_role("link", name="Tents", exact=True)).to_be_visible()
    shot(page, "01-home")

    # A category: its products and those of its subcategories, with price and availability.
    page.get_by_role("link", name="Outdoor", exact=True).click()
    expect(page.get_by_role("heading", name="Outdoor", level=1)).to_be_visible()
    expect(page.get_by_text("2 products")).to_be_visible()
    tent_card = product_card(page, "Ridgeline Tent")
    expect(tent_card).to_contain_text("From $349.00")
    expect(tent_card).to_contain_text("In stock")
    stool_card = product_card(page, "Folding Camp Stool")
    expect(stool_card).to_contain_text("$29.99")
    expect(stool_card).to_contain_text("Only 4 left")
    expect(product_card(page, "Enamel Mug")).to_have_count(0)
    shot(page, "02-category")

    # Search by name, then by SKU, from the header search box.
    search_for(page, "tent")
    expect(page.get_by_text("1 product found")).to_be_visible()
    expect(product_card(page, "Ridgeline Tent")).to_be_visible()
    expect(product_card(page, "Folding Camp Stool")).to_have_count(0)
    search_for(page, CATALOGUE.stool_sku)
    expect(product_card(page, "Folding Camp Stool")).to_contain_text("$29.99")
    expect(product_card(page, "Ridgeline Tent")).to_have_count(0)
    search_for(page, "tent")
    shot(page, "03-search")

    # The product page: each variant shows its own price and honest availability.
    page.get_by_role("link", name="Ridgeline Tent", exact=True).click()
    expect(page.get_by_role("heading", name="Ridgeline Tent", level=1)).to_be_visible()
    price, availability = page.locator("#price"), page.locator("#availability")
    expect(price).to_have_text("$349.00")
    expect(availability).to_have_text("In stock")
    expect(page.get_by_role("link", name="2-person / Green")).to_have_attribute(
        "aria-current", "true"
    )

    page.get_by_role("link", name="2-person / Orange").click()
    expect(page.get_by_role("link", name="2-person / Orange")).to_have_attribute(
        "aria-current", "true"
    )
    expect(price).to_have_text("$359.00")
    expect(availability).to_have_text("Only 3 left")
    expect(page.get_by_text("SKU TENT-2P-ORG")).to_be_visible()
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()

    page.get_by_role("link", name="3-person / Green").click()
    expect(price).to_have_text("$429.00")
    expect(availability).to_contain_text(
        f"Out of stock - ships in about {backorder_days} days (around "
    )
    # Nothing of it ships now: pressing the button is a pre-order, and it says so.
    expect(page.get_by_role("button", name="Pre-order")).to_be_visible()
    expect(page.get_by_role("button", name="Add to cart")).to_have_count(0)
    shot(page, "04-product-backorder")

    page.get_by_role("link", name="2-person / Green").click()
    expect(price).to_have_text("$349.00")
    page.get_by_label("Quantity").fill("2")
    shot(page, "05-product")
    page.get_by_role("button", name="Add to cart").click()

    # The cart: the line, its total, the subtotal and the count in the header.
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(f"Added 2 x {TENT_GREEN} to your cart.")
    row = cart_row(page, TENT_GREEN)
    expect(row).to_contain_text("$349.00")
    expect(row).to_contain_text("$698.00")
    expect(row).to_contain_text("In stock")
    expect(row.get_by_label(f"Quantity of {TENT_GREEN}")).to_have_value("2")
    expect_subtotal(page, 2, "$698.00")
    expect_cart_count(page, 2)
    shot(page, "06-cart")

    # Change the quantity.
    row.get_by_label(f"Quantity of {TENT_GREEN}").fill("3")
    row.get_by_role("button", name="Update").click()
    expect(page.get_by_role("status")).to_have_text("Cart updated.")
    expect(row).to_contain_text("$1,047.00")
    expect_subtotal(page, 3, "$1,047.00")
    expect_cart_count(page, 3)

    # Nonsense as a quantity: a plain message, and the cart as it was.
    row.get_by_label(f"Quantity of {TENT_GREEN}").fill("abc")
    row.get_by_role("button", name="Update").click()
    expect(page.get_by_role("alert")).to_have_text("Enter a whole number from 1 to 999.")
    expect(row.get_by_label(f"Quantity of {TENT_GREEN}")).to_have_value("3")
    expect_subtotal(page, 3, "$1,047.00")
    expect_cart_count(page, 3)
    shot(page, "07-cart-bad-quantity")

    # A second line, then remove it.
    page.goto(f"/p/{CATALOGUE.stool_slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(cart_row(page, "Folding Camp Stool")).to_contain_text("$29.99")
    expect_subtotal(page, 4, "$1,076.99")
    expect_cart_count(page, 4)
    shot(page, "08-cart-two-lines")
    cart_row(page, "Folding Camp Stool").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_have_text("Removed from your cart.")
    expect(cart_row(page, "Folding Camp Stool")).to_have_count(0)
    expect(cart_row(page, TENT_GREEN)).to_be_visible()
    expect_subtotal(page, 3, "$1,047.00")
    expect_cart_count(page, 3)

    # Register: logged in under their name, the guest cart kept.
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Your name").fill("Rosa Visitor")
    page.get_by_label("Email").fill("rosa@example.com")
    shot(page, "09-register")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("status")).to_have_text(
        "Check your inbox: we have sent you an email with the next step."
    )
    page.goto(registration_link_sent_to(live_app, "rosa@example.com"))
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    # A common password is refused, with the reason beside the field.
    page.get_by_label("Password", exact=True).fill("password1234")
    page.get_by_label("Repeat password").fill("password1234")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("This is a very common password.")).to_be_visible()
    shot(page, "09b-common-password-refused")
    page.get_by_label("Password", exact=True).fill("a long pass phrase")
    page.get_by_label("Repeat password").fill("a long pass phrase")
    shot(page, "09c-choose-password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_have_text("Welcome, Rosa Visitor! Your account is ready.")
    expect(page.get_by_role("heading", name="Hello, Rosa Visitor")).to_be_visible()
    expect(page.get_by_role("link", name="Rosa Visitor")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)
    expect_cart_count(page, 3)
    page.get_by_role("link", name="Cart (3)").click()
    expect(cart_row(page, TENT_GREEN)).to_contain_text("$1,047.00")
    expect_subtotal(page, 3, "$1,047.00")
    shot(page, "10-registered-cart")

    # Log out: a guest again, with an empty cart.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    expect(page.get_by_role("link", name="Rosa Visitor")).to_have_count(0)
    expect_cart_count(page, 0)

    # Log in again: the cart is still there.
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("rosa@example.com")
    page.get_by_label("Password").fill("a long pass phrase")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("link", name="Rosa Visitor")).to_be_visible()
    expect_cart_count(page, 3)
    page.get_by_role("link", name="Cart (3)").click()
    expect(cart_row(page, TENT_GREEN)).to_be_visible()
    expect(cart_row(page, TENT_GREEN).get_by_label(f"Quantity of {TENT_GREEN}")).to_have_value("3")
    expect_subtotal(page, 3, "$1,047.00")
    shot(page, "11-cart-after-login")
