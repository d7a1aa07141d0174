"""One code, many sign-ins at the same moment: it lets exactly one of them in.

Real threads, each with its own app context and database connection, released at
once by a barrier, as parallel requests to several gunicorn workers would be. The
factor's row is locked while a code is checked (SQLite: the write lock at BEGIN)."""

import pytest

from shop.accounts import second_factor
from shop.accounts.errors import AccountError
from shop.accounts.models import User
from shop.extensions import db
from tests.factories import UserFactory
from tests.integration.race_helpers import Outcome, at_once
from tests.two_factor_helpers import code_at

RACERS = 8


@pytest.fixture
def app_config() -> dict:
    # The losers' wrong codes count for the account too; here only the race is looked at.
    return {"ACCOUNT_LOCKOUT_AFTER": RACERS}


def race(app, user_id: int, code: str) -> Outcome:
    """RACERS sign-ins of the same user, past the password, all enter `code` at once."""
    user = db.session.get(User, user_id)
    tokens = [second_factor.begin_sign_in(user=user, remember=False) for _ in range(RACERS)]
    db.session.commit()

    def sign_in(token: str):
        def enter_code():
            try:
                second_factor.finish_sign_in(token=token, code=code)
            except AccountError:
                db.session.commit()  # the wrong try is counted, as the view does
                raise
            db.session.commit()

        return enter_code

    return at_once(app, *(sign_in(t) for t in tokens), commit=False)


@pytest.mark.parametrize("kind", ["app code", "recovery code"])
def test_a_code_entered_by_many_sign_ins_at_once_lets_one_in(app, kind):
    user = UserFactory(email="racer@example.com", totp=False)
    factor = second_factor.start_enrolment(user=user)
    secret = factor.secret
    db.session.commit()
    codes = second_factor.confirm_enrolment(user=user, code=code_at(secret, -1))
    db.session.commit()

    outcome = race(app, user.id, code_at(secret) if kind == "app code" else codes[0])

    assert outcome.failed == []
    assert len(outcome.done) == 1
    assert len(outcome.refused) == RACERS - 1
    expected = second_factor.USED_CODE if kind == "app code" else "That code is not right."
    assert all(message.startswith(expected) for message in outcome.refused), outcome.refused
