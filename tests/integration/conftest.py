"""Fixtures shared by integration tests."""

import pytest

from tests.fakes.stripe_server import FakeStripe


@pytest.fixture
def stripe_fake():
    """A fresh fake of Stripe's API on 127.0.0.1 (a free port), stopped after the test."""
    fake = FakeStripe(api_key="sk_test_fake").start()
    yield fake
    fake.stop()


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
