"""Attacks across the parts of the store: what an attacker tries at the seams between
sign-in, registration, the second factor and the rest, and what they get."""

import threading

import pytest
import sqlalchemy as sa

from shop.accounts.models import User
from shop.extensions import db
from tests.factories import ProductFactory, VariantFactory
from tests.integration.account_helpers import emailed_link
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy

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
