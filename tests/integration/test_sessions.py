"""How long a sign-in lasts: staff 30 minutes idle and 12 hours in all, customers longer
(configurable), remember-me 30 days for customers only; every sign-in starts a new session
token and CSRF token; "sign out everywhere" ends every other session.

Time moves with time-machine (the real clock of the process, not the store's code)."""

import re
from datetime import timedelta

import pytest

from shop.accounts import roles
from tests.conftest import PASSWORD, log_in
from tests.integration.backoffice_helpers import flashes, text_of


def opens(client, url: str) -> bool:
    response = client.get(url)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    return False


def copy_of(app, client, *names):
    """A second browser holding copies of the first one's cookies (a stolen cookie)."""
    other = app.test_client()
    for name in names:
        cookie = client.get_cookie(name, domain="shop.test")
        if cookie is not None:
            other.set_cookie(name, cookie.value, domain="shop.test")
    return other


@pytest.mark.parametrize("role", [roles.WAREHOUSE, roles.OWNER])
def test_a_staff_session_ends_after_30_idle_minutes(client, staff, clock, role):
    log_in(client, staff[role].email)
    clock.shift(timedelta(minutes=29))
    assert opens(client, "/admin/")
    clock.shift(timedelta(minutes=31))
    response = client.get("/admin/", follow_redirects=True)
    assert "You were signed out after 30 minutes without activity." in flashes(text_of(response))
    assert not opens(client, "/admin/")


def test_a_busy_staff_session_still_ends_after_12_hours(client, staff, clock):
    log_in(client, staff[roles.WAREHOUSE].email)
    for _ in range(35):  # a page every 20 minutes: 11 h 40 min
        clock.shift(timedelta(minutes=20))
        assert opens(client, "/admin/")
    clock.shift(timedelta(minutes=20))
    response = client.get("/admin/", follow_redirects=True)
    assert "You were signed out after 12 hours. Please log in again." in flashes(text_of(response))
    assert not opens(client, "/account/")


def test_staff_are_not_remembered(client, staff, clock):
    client.post(
        "/account/login",
        data={"email": staff[roles.WAREHOUSE].email, "password": PASSWORD, "remember": "y"},
    )
    assert client.get_cookie("remember_me", domain="shop.test") is None
    clock.shift(timedelta(minutes=31))
    assert not opens(client, "/admin/")


def test_a_customer_stays_logged_in_within_the_limits(client, customer, clock):
    log_in(client, customer.email)
    clock.shift(timedelta(hours=11))
    assert opens(client, "/account/")
    for _ in range(14):  # a page every 11 hours: 6 days 21 hours after signing in
        clock.shift(timedelta(hours=11))
        assert opens(client, "/account/")
    clock.shift(timedelta(hours=11))  # 7 days 8 hours after signing in
    assert not opens(client, "/account/")


def test_an_idle_customer_is_signed_out_after_12_hours(client, customer, clock):
    log_in(client, customer.email)
    clock.shift(timedelta(hours=12, minutes=1))
    assert not opens(client, "/account/")


def test_remember_me_keeps_a_customer_for_30_days_and_no_longer(app, client, customer, clock):
    client.post(
        "/account/login", data={"email": customer.email, "password": PASSWORD, "remember": "y"}
    )
    remember = client.get_cookie("remember_me", domain="shop.test")
    assert remember is not None
    clock.shift(timedelta(days=3))  # the session is long idle; the device is remembered
    assert opens(client, "/account/")
    clock.shift(timedelta(days=26))
    assert opens(client, "/account/")
    # After 30 days the cookie is refused by the store, not only forgotten by the browser.
    clock.shift(timedelta(days=1, hours=1))
    late = app.test_client()
    late.set_cookie("remember_me", remember.value, domain="shop.test")
    assert not opens(late, "/account/")
    assert not opens(client, "/account/")


def test_every_sign_in_starts_a_new_session_token(app, client, customer):
    log_in(client, customer.email)
    before = copy_of(app, client, "session")
    assert opens(before, "/account/")
    client.post("/account/logout")
    log_in(client, customer.email)
    assert opens(client, "/account/")
    assert not opens(before, "/account/")


def stolen_copies(app, client, customer):
    """Sign in with "keep me logged in"; a thief's copies of the session and of the
    remember-me cookie, both working."""
    client.post(
        "/account/login", data={"email": customer.email, "password": PASSWORD, "remember": "y"}
    )
    stolen = copy_of(app, client, "session")
    remembered = copy_of(app, client, "remember_me")
    assert opens(stolen, "/account/") and opens(remembered, "/account/")
    return stolen, remembered


def test_sign_out_everywhere_ends_every_other_session(app, client, customer):
    stolen, remembered = stolen_copies(app, client, customer)

    response = client.post("/account/sign-out-everywhere", follow_redirects=True)
    assert "Every other device is signed out." in flashes(text_of(response))
    assert opens(client, "/account/")
    assert not opens(stolen, "/account/")
    assert not opens(remembered, "/account/")


def csrf_token_on(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_signing_in_gives_a_new_csrf_token(client, customer):
    before = csrf_token_on(client.get("/account/login").get_data(as_text=True))
    response = client.post(
        "/account/login",
        data={"email": customer.email, "password": PASSWORD, "csrf_token": before},
    )
    assert response.status_code == 302
    after = csrf_token_on(client.get("/account/addresses/new").get_data(as_text=True))
    # The token before signing in (one an attacker may have planted) is no good after it.
    assert after.split(".")[0] != before.split(".")[0]
    address = {"full_name": "Carla", "line1": "1 Main St", "city": "Toronto",
               "province": "ON", "postal_code": "M5H 2N2", "country": "CA"}  # fmt: skip
    refused = client.post("/account/addresses/new", data={**address, "csrf_token": before})
    assert refused.status_code == 400
    accepted = client.post("/account/addresses/new", data={**address, "csrf_token": after})
    assert accepted.status_code == 302


def test_a_session_from_before_these_limits_must_log_in_again(client, staff):
    # A cookie signed before this release names the user but says nothing of its age.
    with client.session_transaction() as session:
        session["_user_id"] = staff[roles.OWNER].session_token
    response = client.get("/admin/", follow_redirects=True)
    assert "Please log in again." in flashes(text_of(response))
    assert not opens(client, "/admin/")


def test_turning_on_two_step_sign_in_ends_every_other_session(app, client, customer):
    from tests.two_factor_helpers import code_at, secret_on

    stolen, remembered = stolen_copies(app, client, customer)
    secret = secret_on(client.get("/account/two-factor/enrol").get_data(as_text=True))

    done = client.post("/account/two-factor/enrol", data={"code": code_at(secret)})

    assert "Two-step sign-in is on" in text_of(done)
    assert opens(client, "/account/")
    assert not opens(stolen, "/account/")
    assert not opens(remembered, "/account/")
