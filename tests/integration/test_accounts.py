"""A customer registers, logs in and out, resets a forgotten password, keeps addresses."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.accounts.models import Address, User
from shop.accounts.passwords import hash_password
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from tests.conftest import PASSWORD, log_in
from tests.factories import AddressFactory, UserFactory
from tests.integration.account_helpers import register

NEW_PASSWORD = "a brand new secret"


def test_register_logs_the_customer_in(client):
    page = register(client, "newbie@example.com", follow_redirects=True).get_data(as_text=True)
    assert "Welcome, New Bie! Your account is ready." in page
    assert "Log out" in page
    user = db.session.scalar(sa.select(User).where(User.email == "newbie@example.com"))
    assert user.role == "customer"
    assert user.password_hash.startswith("$argon2id$")


def test_register_with_a_taken_email_whatever_its_case_creates_nothing(client, customer):
    # Before: "An account with this email already exists." told anyone which emails
    # have an account; now the page says what it says for a new address.
    page = client.post(
        "/account/register",
        data={"name": "New Bie", "email": "CARLA@example.com"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Check your inbox" in page
    assert "already exists" not in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"name": "x" * 121}, "Field cannot be longer than 120 characters."),
    ],
)
def test_register_bad_input_shows_a_message_and_sends_nothing(client, fields, message):
    data = {"name": "New Bie", "email": "nb@example.com", **fields}
    response = client.post("/account/register", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short"}, "Use at least 12 characters"),
        ({"confirm": "something else"}, "The passwords do not match."),
    ],
)
def test_bad_password_at_registration_shows_a_message_and_creates_nothing(client, fields, message):
    data = {"password": "long enough pw", "confirm": None, **fields}
    page = register(client, "nb@example.com", **data, follow_redirects=True).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_login_with_wrong_password_is_refused(client, customer):
    response = log_in(client, customer.email, "wrong password!")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_a_long_password_set_before_the_128_character_limit_still_logs_in(client):
    """Passwords of up to 200 characters were accepted before ASVS's limit of 128 came:
    their owners must still get in (and may keep them)."""
    long_password = "a long passphrase " * 11  # 198 characters
    user = UserFactory(email="long@example.com", password_hash=hash_password(long_password))
    page = log_in(client, user.email, long_password, follow=True).get_data(as_text=True)
    assert "Hello," in page


def test_login_with_unknown_email_gives_the_same_message(client):
    response = log_in(client, "nobody@example.com")
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_login_then_logout(client, customer):
    page = log_in(client, customer.email, follow=True).get_data(as_text=True)
    assert "Hello, Carla Customer" in page
    page = client.post("/account/logout", follow_redirects=True).get_data(as_text=True)
    assert "You are logged out." in page
    assert client.get("/account/").status_code == 302


def test_logout_ends_the_session_even_for_a_copied_cookie(app, customer):
    """A stolen session cookie stops working once its owner logs out."""
    browser, thief = app.test_client(), app.test_client()
    log_in(browser, customer.email)
    cookie = browser.get_cookie("session", domain="shop.test")
    thief.set_cookie("session", cookie.value, domain=cookie.domain)
    assert thief.get("/account/").status_code == 200
    browser.post("/account/logout")
    assert thief.get("/account/").status_code == 302


def test_disabled_account_cannot_log_in(client):
    user = UserFactory(email="gone@example.com", is_enabled=False)
    page = log_in(client, user.email).get_data(as_text=True)
    assert "This account is disabled" in page


def test_login_redirect_only_to_our_own_pages(client, customer):
    response = client.post(
        "/account/login?next=https://evil.example/",
        data={"email": customer.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/account/"
    client.post("/account/logout")
    response = client.post(
        "/account/login?next=/account/addresses",
        data={"email": customer.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/account/addresses"


def test_session_cookie_is_httponly_and_lax(client, customer):
    response = log_in(client, customer.email)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def reset_link(to: str) -> str:
    message = db.session.scalar(
        sa.select(OutboxMessage)
        .where(OutboxMessage.to_address == to)
        .order_by(OutboxMessage.id.desc())
    )
    assert message is not None, "no reset email in the outbox"
    return re.search(r"http://shop\.test(/account/reset-password/\S+)", message.body_text).group(1)


def test_password_reset_by_emailed_link(client, customer):
    page = client.post(
        "/account/forgot-password", data={"email": customer.email}, follow_redirects=True
    ).get_data(as_text=True)
    assert "we have sent it a link" in page
    link = reset_link(customer.email)
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.subject == "Reset your password"
    assert "The link works once and for 60 minutes" in message.body_text

    page = client.post(
        link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Your password is changed" in page
    assert log_in(client, customer.email, PASSWORD).status_code == 401
    assert log_in(client, customer.email, NEW_PASSWORD).status_code == 302

    # the link works once
    client.post("/account/logout")
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "This reset link has already been used" in page


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client):
    page = client.post(
        "/account/forgot-password", data={"email": "nobody@example.com"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "we have sent it a link" in page
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_forged_reset_link_is_refused(client, customer):
    page = client.get("/account/reset-password/forged.token.value", follow_redirects=True)
    assert "This reset link is not valid" in page.get_data(as_text=True)


def test_expired_reset_link_is_refused(client, customer, clock):
    client.post("/account/forgot-password", data={"email": customer.email})
    link = reset_link(customer.email)
    clock.shift(timedelta(seconds=3601))
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "This reset link has expired" in page


def test_password_change_ends_other_sessions(app, customer):
    # Signing in renews the session token (it ends the sessions before it), so the
    # other session here is a copy of the laptop's cookie, e.g. a stolen one.
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, customer.email)
    phone.set_cookie("session", laptop.get_cookie("session", domain="shop.test").value,
                     domain="shop.test")  # fmt: skip
    assert phone.get("/account/").status_code == 200
    response = laptop.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert "Other devices have been logged out." in response.get_data(as_text=True)
    assert laptop.get("/account/").status_code == 200
    assert phone.get("/account/").status_code == 302


def test_password_change_needs_the_current_password(client, customer):
    log_in(client, customer.email)
    page = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    ).get_data(as_text=True)
    assert "Your current password is not right." in page


ADDRESS = {
    "full_name": "Carla Customer",
    "line1": "500 Rue Sherbrooke O",
    "city": "Montréal",
    "province": "QC",
    "postal_code": "h3a 3c6",
}


def test_address_book(client, customer):
    log_in(client, customer.email)
    page = client.post("/account/addresses/new", data=ADDRESS, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Address saved." in page
    assert "500 Rue Sherbrooke O" in page and "H3A 3C6" in page and "Default" in page
    address = db.session.scalar(sa.select(Address))
    client.post(
        f"/account/addresses/{address.id}", data={**ADDRESS, "line1": "1 Place Ville Marie"}
    )
    assert "1 Place Ville Marie" in client.get("/account/addresses").get_data(as_text=True)
    client.post(f"/account/addresses/{address.id}/delete")
    assert "You have no saved addresses yet." in client.get("/account/addresses").get_data(
        as_text=True
    )


def test_address_bad_postal_code_is_refused(client, customer):
    log_in(client, customer.email)
    page = client.post("/account/addresses/new", data={**ADDRESS, "postal_code": "12345"}).get_data(
        as_text=True
    )
    assert "Enter a postal code like K1A 0B1." in page
    assert db.session.scalar(sa.select(sa.func.count(Address.id))) == 0


def test_another_customers_address_is_not_found(client, customer):
    other = AddressFactory()
    log_in(client, customer.email)
    assert client.get(f"/account/addresses/{other.id}").status_code == 404
    assert client.post(f"/account/addresses/{other.id}/delete").status_code == 404
    assert db.session.get(Address, other.id) is not None
