"""Attacks across the parts of the store: what an attacker tries at the seams between
sign-in, registration, the second factor and the rest, and what they get."""

import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.accounts.models import User
from shop.accounts.services import TAKEN_SUBJECT
from shop.accounts.sessions import REMEMBER_COOKIE
from shop.extensions import db
from tests.conftest import PASSWORD as FACTORY_PASSWORD
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.integration.account_helpers import emailed_link, outbox
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.two_factor_helpers import CODE_STEP_PATH, code_for

PASSWORD = "a long pass phrase"


def test_one_registration_link_finished_twice_at_once_makes_one_account(app, client):
    """The same link sent from two browsers at the same moment: one account, and the
    other browser is told the link is used, not shown an error page."""
    client.post("/account/register", data={"name": "Rosa Visitor", "email": "rosa@example.com"})
    link = emailed_link("rosa@example.com", "/account/register/")
    db.session.commit()
    barrier = threading.Barrier(2)
    answers = []

    def finish():
        with app.app_context():
            browser = app.test_client()
            barrier.wait(timeout=30)
            try:
                response = browser.post(
                    link, data={"password": PASSWORD, "confirm": PASSWORD}, follow_redirects=True
                )
                answers.append(flashes(text_of(response)))
            except Exception as err:  # the test client raises what would be a 500
                answers.append([f"500: {err!r}"])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=finish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [
        ["This link has already been used. Please log in."],
        ["Welcome, Rosa Visitor! Your account is ready."],
    ]
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


@pytest.mark.parametrize("page", ["/orders/{number}", "/checkout/pay/{number}"])
def test_an_order_link_with_a_forged_token_beyond_ascii_is_not_found(app, client, page):
    """The link's token is compared in constant time; a token of other letters (é) is
    just a wrong token, not an error page."""
    classes = seed_reference_data()
    tent = VariantFactory(
        product=ProductFactory(name="Ridge Tent"), price=34900, tax_class=classes["standard"],
        weight_g=2400, length_mm=550, width_mm=180, height_mm=180, stock=5,
    )  # fmt: skip
    order = buy(app, [(tent, 1)], card=None)
    path = page.format(number=order.number)
    assert client.get(path, query_string={"t": order.access_token}).status_code == 200
    assert client.get(path, query_string={"t": "é" * 43}).status_code == 404


def test_no_way_past_the_password_skips_the_owners_code(client):
    """After the owner's password (guessed or leaked), nothing signs in without the code:
    not the back office or account pages, not a reset link, not registering the email
    again, not "remember me"."""
    owner = UserFactory(role=roles.OWNER, email="boss@example.com")
    step = client.post(
        "/account/login", data={"email": owner.email, "password": FACTORY_PASSWORD, "remember": "y"}
    )
    assert step.headers["Location"].startswith(CODE_STEP_PATH)
    assert client.get_cookie(REMEMBER_COOKIE, domain="shop.test") is None
    for path in ("/admin/", "/account/", "/account/two-factor"):
        assert client.get(path).headers["Location"].startswith("/account/login"), path

    client.post("/account/forgot-password", data={"email": owner.email})
    reset = emailed_link(owner.email, "/account/reset-password/")
    done = client.post(reset, data={"password": PASSWORD, "confirm": PASSWORD})
    assert done.headers["Location"] == "/account/login"
    client.post("/account/register", data={"name": "Mallory", "email": owner.email})
    assert outbox(owner.email)[-1].subject == TAKEN_SUBJECT  # a reset link, not a new account
    assert client.get("/admin/").headers["Location"].startswith("/account/login")

    step = client.post("/account/login", data={"email": owner.email, "password": PASSWORD})
    assert step.headers["Location"].startswith(CODE_STEP_PATH)


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https:evil.example"])
def test_the_code_step_sends_no_one_off_the_site(client, staff, target):
    owner = staff[roles.OWNER]
    step = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": owner.email, "password": FACTORY_PASSWORD},
    )
    done = client.post(step.headers["Location"], data={"code": code_for(owner.email)})
    location = done.headers["Location"]
    assert urlsplit(location).netloc == "" and not location.startswith("//"), location
    assert "\\" not in location, location  # browsers read /\ as //


@pytest.mark.parametrize("referrer", ["http://shop.test//evil.example/p", "http://evil.example/p"])
def test_the_cart_sends_no_one_back_off_the_site(client, referrer):
    """The cart goes back to the page the form came from, if that page is the store's."""
    response = client.post(
        "/cart/add", data={"variant_id": "1", "quantity": "x"}, headers={"Referer": referrer}
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert urlsplit(location).netloc == "" and not location.startswith("//"), location
