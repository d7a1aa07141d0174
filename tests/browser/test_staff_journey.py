"""Staff land on the back-office dashboard; customers are refused it."""

import re

import pytest
from playwright.sync_api import Page, expect

from shop.extensions import db
from tests import factories
from tests.browser.conftest import CATALOGUE
from tests.two_factor_helpers import code_at

OWNER_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the test owner's authenticator key


def log_in(
    page: Page, email: str, password: str = factories.PASSWORD, totp_secret: str | None = None
) -> None:
    page.goto("/account/login")
    enter_password(page, email, password, totp_secret)


def open_menu_link(page: Page, group: str, link: str) -> None:
    """Open a group of the back-office menu and follow one of its links, as staff do."""
    nav = page.get_by_role("navigation", name="Back office")
    nav.locator("summary", has_text=group).click()
    nav.get_by_role("link", name=link, exact=True).click()


def enter_password(page: Page, email: str, password: str, totp_secret: str | None) -> None:
    """The login form, then the code step (the code an authenticator app shows now)."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if totp_secret:
        expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
        page.get_by_label("Code").fill(code_at(totp_secret))
        page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("role", ["owner", "warehouse"])
def test_staff_log_in_to_the_dashboard(page: Page, live_app, live_server, shot, role):
    with live_app.app_context():
        factories.UserFactory(
            role=role, email=f"{role}@shop.test", name=f"Sam {role.title()}", totp=OWNER_SECRET
        )
        db.session.remove()

    log_in(page, f"{role}@shop.test", totp_secret=OWNER_SECRET)

    expect(page).to_have_url(f"{live_server}/admin/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=f"Sam {role.title()}")).to_be_visible()
    expect(page.get_by_role("navigation", name="Back office")).to_be_visible()
    shot(page, "dashboard")


def test_customer_is_refused_the_back_office(page: Page, shot):
    log_in(page, CATALOGUE.customer_email)
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("link", name="Back office")).to_have_count(0)

    response = page.goto("/admin/")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed", level=1)).to_be_visible()
    expect(page.get_by_text("Your account may not open this page.")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
    shot(page, "not-allowed")


def test_guest_is_sent_to_log_in_first(page: Page, live_app, live_server):
    with live_app.app_context():
        factories.UserFactory(role="owner", email="owner@shop.test", totp=OWNER_SECRET)
        db.session.remove()

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    enter_password(page, "owner@shop.test", factories.PASSWORD, OWNER_SECRET)
    expect(page).to_have_url(f"{live_server}/admin/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
