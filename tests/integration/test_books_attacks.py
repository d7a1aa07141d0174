"""The books' new pages attacked as a careless user and a hostile file would: days at the
edge of the calendar, amounts no bank could hold, and each answers beside its field with
nothing changed, never a 500."""

import pytest

from shop.accounts import roles
from tests.conftest import log_in
from tests.integration.backoffice_helpers import errors_beside, text_of

FIRST_DAY, LAST_DAY = "0001-01-01", "9999-12-31"  # what date.fromisoformat() still reads


@pytest.fixture
def bookkeeper(app, staff):
    client = app.test_client()
    log_in(client, staff[roles.BOOKKEEPER].email)
    return client


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
@pytest.mark.parametrize(
    "url, field",
    [
        ("/admin/accounting/profit-and-loss?compare=y&date_from={d}&date_to={d}", "date_from"),
        ("/admin/accounting/profit-and-loss?compare=y&date_from={d}&date_to={d}&format=csv", None),
        ("/admin/accounting/balance-sheet?at={d}", "at"),
        ("/admin/accounting/balance-sheet?at={d}&format=csv", None),
        ("/admin/accounting/tax-returns?frequency=annual&day={d}", "day"),
        ("/admin/accounting/tax-returns?frequency=monthly&day={d}&form=gst&format=csv", None),
    ],
)
def test_a_statement_for_a_day_at_the_calendar_edge_says_so_beside_the_field(
    bookkeeper, url, field, day
):
    response = bookkeeper.get(url.format(d=day))
    assert response.status_code == 200
    if field:
        [message] = errors_beside(text_of(response), field)
        assert message == "Choose a day from 1900-01-01 to 2999-12-31."
