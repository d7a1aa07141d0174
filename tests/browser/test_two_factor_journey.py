"""Two-step sign-in in a real browser: the demo owner signs in with the password and the
code of the TOTP secret `seed-demo` printed; a new owner sets up an authenticator from
the QR code page before getting in."""

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from shop import demo
from shop.extensions import db
from tests import factories
from tests.browser.conftest import serve_app
from tests.two_factor_helpers import code_at, unused_code, wrong_code

PRINTED = {}


@pytest.fixture
def live_app(tmp_path):
    """The demo store; its login table kept as seed-demo prints it."""

    def seed():
        result = demo.seed_demo()
        db.session.commit()
        PRINTED["table"] = demo.login_table(result.logins)

    yield from serve_app(tmp_path, seed, template="demo")


def secret_in_table(email: str) -> str:
    """The TOTP secret column of this email's row, as a person reads it off the terminal."""
    row = next(line for line in PRINTED["table"].splitlines() if line.startswith(email))
    return row.split()[-1]


def test_the_demo_owner_signs_in_with_password_and_code(page: Page, live_server, shot):
    owner = next(a for a in demo.ACCOUNTS if a[0] == "owner")
    secret = secret_in_table(owner[1])

    page.goto("/admin/")
    page.get_by_label("Email").fill(owner[1])
    page.get_by_label("Password").fill(owner[3])
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    shot(page, "01-code-step")
    # The password alone does not open the back office.
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.go_back()

    page.get_by_label("Code").fill(wrong_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#code-error")).to_have_text("That code is not right. 4 tries left.")

    page.get_by_label("Code").fill(code_at(secret))
    shot(page, "02-code-entered")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/admin/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    shot(page, "03-dashboard")


def test_a_new_owner_sets_up_two_step_sign_in_first(page: Page, live_app, live_server, shot):
    with live_app.app_context():
        factories.UserFactory(role="owner", email="olga@shop.test", name="Olga New", totp=False)
        db.session.remove()

    page.goto("/account/login")
    page.get_by_label("Email").fill("olga@shop.test")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_text("Your role needs two-step sign-in")).to_be_visible()
    qr = page.locator("figure.qr-code svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] > 100
    secret = page.locator("code.totp-secret").inner_text()
    # The QR code says the same as the text: an otpauth:// link an authenticator app reads.
    [uri] = [
        found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    ]
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    assert "olga%40shop.test" in uri and "issuer=Maple" in uri
    shot(page, "01-enrol")

    page.get_by_label("Code").fill(unused_code(secret, None))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    shot(page, "02-recovery-codes")

    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page).to_have_url(f"{live_server}/admin/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
