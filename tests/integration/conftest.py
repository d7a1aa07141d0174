"""Fixtures shared by integration tests."""

import pytest

from tests.fakes.stripe_server import FakeStripe, StripeHost


@pytest.fixture(scope="session")
def stripe_host():
    """The address the fakes of Stripe are served at, one free port for the session."""
    host = StripeHost().start()
    yield host
    host.stop()


@pytest.fixture
def stripe_fake(stripe_host):
    """A fresh fake of Stripe's API (no sessions, charges, refunds or requests yet)."""
    fake = stripe_host.serve(FakeStripe(api_key="sk_test_fake"))
    yield fake
    stripe_host.fake = None


@pytest.fixture
def bookkeeper(app, staff):
    """The bookkeeper's browser, signed in (with the two-step code)."""
    from shop.accounts import roles
    from tests.conftest import log_in

    client = app.test_client()
    log_in(client, staff[roles.BOOKKEEPER].email)
    return client


@pytest.fixture
def warehouse(app, staff):
    """A warehouse worker's browser, signed in."""
    from shop.accounts import roles
    from tests.conftest import log_in

    client = app.test_client()
    log_in(client, staff[roles.WAREHOUSE].email)
    return client
