"""A customer who forgot the password gets a link by email and chooses a new one."""

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from shop.extensions import db
from shop.notifications.models import OutboxMessage
from tests import factories
from tests.browser.conftest import CATALOGUE

NEW_PASSWORD = "a brand new pass phrase"


def reset_link_sent_to(app, email: str) -> str:
    with app.app_context():
        bodies = db.session.scalars(
            sa.select(OutboxMessage.body_text)
            .where(OutboxMessage.to_address == email, OutboxMessage.kind == "password_reset")
            .order_by(OutboxMessage.id)
        ).all()
        db.session.remove()
    assert len(bodies) == 1, f"expected one reset email to {email}, found {len(bodies)}"
    found = re.search(r"https?://\S+/account/reset-password/\S+", bodies[0])
    assert found, f"no reset link in the email:\n{bodies[0]}"
    return found.group(0)


def log_in(page: Page, password: str) -> None:
    page.get_by_label("Email").fill(CATALOGUE.customer_email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_customer_resets_a_forgotten_password(page: Page, live_app, live_server, shot):
    page.goto("/account/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email").fill(CATALOGUE.customer_email)
    shot(page, "01-forgot")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("we have sent it a link")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    link = reset_link_sent_to(live_app, CATALOGUE.customer_email)
    assert link.startswith(live_server + "/")

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    shot(page, "02-new-password")
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your password is changed. Please log in with the new one."
    )

    # The old password no longer works.
    log_in(page, factories.PASSWORD)
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
    expect(page.get_by_role("link", name=CATALOGUE.customer_name)).to_have_count(0)
    shot(page, "03-old-password-refused")

    # The new one does.
    log_in(page, NEW_PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {CATALOGUE.customer_name}")).to_be_visible()
    expect(page.get_by_role("link", name=CATALOGUE.customer_name)).to_be_visible()
    shot(page, "04-logged-in")

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("alert")).to_have_text(
        "This reset link has already been used. Please ask for a new one."
    )
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
