"""Attacks across the parts of the store: what an attacker tries at the seams between
sign-in, registration, the second factor and the rest, and what they get."""

import threading

import sqlalchemy as sa

from shop.accounts.models import User
from shop.extensions import db
from tests.integration.account_helpers import emailed_link
from tests.integration.backoffice_helpers import flashes, text_of

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
