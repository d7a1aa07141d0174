"""Wrong passwords for one account sent at the same moment (a guessing botnet): every
one of them counts towards the lockout, none is lost to another's stale copy of the count.

Real threads released together by a barrier (race_helpers.at_once), as parallel
requests to several gunicorn workers would be; each commits its failure as the
login page does.
"""

import pytest
import sqlalchemy as sa

from shop.accounts import services
from shop.accounts.errors import AccountError
from shop.accounts.models import AccountThrottle
from shop.extensions import db
from tests.integration.race_helpers import at_once

GUESSERS = 8


# No lockout during the race: each guess is answered "wrong" and counted.
@pytest.mark.parametrize("app_config", [{"ACCOUNT_LOCKOUT_AFTER": 100}])
def test_wrong_passwords_sent_at_once_are_all_counted(app, customer):
    email = customer.email

    def wrong_login():
        try:
            services.authenticate(email=email, password="wrong guess 123")
        except AccountError:
            db.session.commit()  # the failure counts, as the login page commits it
            raise

    assert at_once(app, wrong_login).refused == ["Wrong email or password."]
    outcome = at_once(app, *[wrong_login] * GUESSERS, commit=False)

    assert outcome.failed == []
    assert outcome.refused == ["Wrong email or password."] * GUESSERS
    db.session.expire_all()
    assert db.session.scalar(sa.select(AccountThrottle.failures)) == 1 + GUESSERS
