"""Closing the books through a month end: nothing posts into the closed period after.

The test clock stands at 2026-03-02, so February 2026 is the last month that is over.
"""

import logging
import re
import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from shop.accounting import chart, periods
from shop.accounting.errors import PeriodError
from shop.accounting.models import Account, JournalEntry, PeriodClose
from shop.accounting.services import (
    ManualLine,
    post_cost_of_goods,
    post_manual_entry,
    seed_chart,
)
from shop.accounts import roles
from shop.extensions import db
from tests.conftest import log_in
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.race_helpers import at_once

FEBRUARY_END = date(2026, 2, 28)
TODAY = date(2026, 3, 2)


def account(role: str) -> Account:
    return db.session.scalar(sa.select(Account).where(Account.role == role))


@pytest.fixture
def books(app, clock):
    seed_chart()
    db.session.commit()


def manual(on: date, user, amount: int = 1000):
    return post_manual_entry(
        on=on, description="Owner's money in",
        lines=[ManualLine(account(chart.BANK).id, debit=amount),
               ManualLine(account(chart.EQUITY_OPENING).id, credit=amount)],
        user=user,
    )  # fmt: skip


def entry_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(JournalEntry.id)))


def close_february(staff):
    periods.close_through(FEBRUARY_END, user=staff[roles.BOOKKEEPER], today=TODAY)
    db.session.commit()


# --- posting into a closed period -------------------------------------------------------


def test_a_manual_entry_dated_in_the_closed_period_is_refused(books, staff):
    close_february(staff)
    with pytest.raises(PeriodError) as refused:
        manual(FEBRUARY_END, staff[roles.BOOKKEEPER])
    assert refused.value.field == "on"
    assert "closed through 2026-02-28" in refused.value.message
    assert "2026-03-01 or later" in refused.value.message
    db.session.rollback()
    assert entry_count() == 0
    assert manual(date(2026, 3, 1), staff[roles.BOOKKEEPER]).date == date(2026, 3, 1)


def test_an_automatic_posting_dated_in_the_closed_period_posts_on_the_first_open_day(books, staff):
    close_february(staff)
    entry = post_cost_of_goods(
        source_key="cogs:shipment:late", on=date(2026, 2, 10), cost=500,
        description="Cost of goods, shipment S-1",
    )  # fmt: skip
    assert entry.date == date(2026, 3, 1)
    assert entry.description == "Cost of goods, shipment S-1 (dated 2026-02-10, in a closed period)"
    after = post_cost_of_goods(
        source_key="cogs:shipment:open", on=date(2026, 3, 2), cost=500, description="Open"
    )
    assert (after.date, after.description) == (date(2026, 3, 2), "Open")


def test_reopening_lets_the_period_take_entries_again(books, staff):
    close_february(staff)
    periods.reopen(user=staff[roles.OWNER])
    db.session.commit()
    assert periods.lock_date() is None
    assert manual(FEBRUARY_END, staff[roles.BOOKKEEPER]).date == FEBRUARY_END


def test_reopening_the_latest_close_lets_the_one_before_stand(books, staff, clock):
    clock.move_to("2026-04-02 09:00Z")
    bookkeeper = staff[roles.BOOKKEEPER]
    periods.close_through(FEBRUARY_END, user=bookkeeper, today=date(2026, 4, 2))
    periods.close_through(date(2026, 3, 31), user=bookkeeper, today=date(2026, 4, 2))
    assert periods.lock_date() == date(2026, 3, 31)
    periods.reopen(user=staff[roles.OWNER])
    assert periods.lock_date() == FEBRUARY_END


# --- what may be closed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2026, 2, 27), "Close through the last day of a month."),
        (date(2026, 3, 31), "March 2026 is not over yet"),
        (date(2026, 12, 31), "December 2026 is not over yet"),
    ],
)
def test_the_bookkeeper_cannot_close_the_future_or_a_day_that_is_not_a_month_end(
    books, staff, day, message
):
    with pytest.raises(PeriodError, match=message):
        periods.close_through(day, user=staff[roles.BOOKKEEPER], today=TODAY)
    assert periods.lock_date() is None


def test_a_close_must_come_after_the_last_one(books, staff):
    close_february(staff)
    with pytest.raises(PeriodError, match="already closed through 2026-02-28"):
        periods.close_through(date(2026, 1, 31), user=staff[roles.BOOKKEEPER], today=TODAY)


def test_only_the_owner_may_reopen(books, staff):
    close_february(staff)
    with pytest.raises(PeriodError, match="Only the owner"):
        periods.reopen(user=staff[roles.BOOKKEEPER])
    assert periods.lock_date() == FEBRUARY_END


def test_the_months_offered_are_over_and_after_the_lock_date(books, staff):
    offered = periods.closable_month_ends(TODAY, count=3)
    assert offered == [date(2026, 2, 28), date(2026, 1, 31), date(2025, 12, 31)]
    close_february(staff)
    assert periods.closable_month_ends(TODAY) == []


# --- the page ----------------------------------------------------------------------------


def client_for(app, user):
    client = app.test_client()
    log_in(client, user.email)
    return client


def test_the_bookkeeper_closes_february_on_the_page_and_the_owner_reopens(
    app, books, staff, caplog
):
    bookkeeper = client_for(app, staff[roles.BOOKKEEPER])
    page = text_of(bookkeeper.get("/admin/accounting/periods"))
    assert "No period is closed yet." in page
    assert "February 2026 (through Feb 28, 2026)" in page
    assert "2026-02-28" not in page.replace('value="2026-02-28"', "")
    assert "March 2026" not in page  # not over
    assert "Reopen the books" not in page

    with caplog.at_level(logging.INFO, logger="shop.security"):
        response = bookkeeper.post(
            "/admin/accounting/periods", data={"closed_through": "2026-02-28"},
            follow_redirects=True,
        )  # fmt: skip
    page = text_of(response)
    assert "The books are closed through Feb 28, 2026." in flashes(page)
    assert "The books are closed through Feb 28, 2026." in re.sub(r"<[^>]+>", "", page)
    assert staff[roles.BOOKKEEPER].name in page
    assert "books_closed" in caplog.text and '"closed_through": "2026-02-28"' in caplog.text
    assert "Reopen the books" not in page  # the owner's to do
    assert bookkeeper.post("/admin/accounting/periods/reopen").status_code == 403
    assert periods.lock_date() == FEBRUARY_END

    owner = client_for(app, staff[roles.OWNER])
    assert "Reopen the books closed through Feb 28, 2026" in text_of(
        owner.get("/admin/accounting/periods")
    )
    with caplog.at_level(logging.INFO, logger="shop.security"):
        page = text_of(owner.post("/admin/accounting/periods/reopen", follow_redirects=True))
    assert "Reopened the books closed through Feb 28, 2026." in flashes(page)
    assert "books_reopened" in caplog.text
    close = db.session.scalar(sa.select(PeriodClose))
    db.session.refresh(close)
    assert close.reopened_by_id == staff[roles.OWNER].id and close.reopened_at is not None
    assert staff[roles.OWNER].name in page


def test_the_page_refuses_a_month_that_is_not_over(app, books, staff):
    bookkeeper = client_for(app, staff[roles.BOOKKEEPER])
    response = bookkeeper.post("/admin/accounting/periods", data={"closed_through": "2026-03-31"})
    assert response.status_code == 422
    assert errors_beside(text_of(response), "closed_through")
    assert periods.lock_date() is None


def test_a_manual_entry_form_in_the_closed_period_shows_why_beside_the_date(app, books, staff):
    close_february(staff)
    bookkeeper = client_for(app, staff[roles.BOOKKEEPER])
    response = bookkeeper.post(
        "/admin/accounting/journal/new",
        data={
            "on": "2026-02-15", "description": "Late",
            "lines-0-account_id": str(account(chart.BANK).id), "lines-0-debit": "10.00",
            "lines-0-credit": "", "lines-0-memo": "", "lines-1-account_id":
            str(account(chart.EQUITY_OPENING).id), "lines-1-debit": "", "lines-1-credit": "10.00",
            "lines-1-memo": "",
        },
    )  # fmt: skip
    assert response.status_code == 422
    assert any("closed through 2026-02-28" in e for e in errors_beside(text_of(response), "on"))
    assert entry_count() == 0


# --- a close and a posting at the same moment ---------------------------------------------


def test_a_close_and_a_posting_at_the_same_moment_leave_no_entry_in_the_closed_period(
    app, books, staff
):
    """The close is flushed first and holds its transaction open a moment; the posting,
    dated in February, starts then. Without the books' lock the posting would read no
    lock date (the close is not committed) and land in the closed February."""
    closing = threading.Event()
    bookkeeper_id = staff[roles.BOOKKEEPER].id

    def close():
        from shop.accounts.models import User

        periods.close_through(FEBRUARY_END, user=db.session.get(User, bookkeeper_id), today=TODAY)
        closing.set()
        time.sleep(0.5)  # the posting starts while the close is not yet committed

    def post():
        assert closing.wait(timeout=10)
        post_cost_of_goods(
            source_key="cogs:shipment:race", on=date(2026, 2, 20), cost=700, description="Race"
        )

    outcome = at_once(app, close, post)
    assert outcome.failed == [] and outcome.refused == []
    entry = db.session.scalar(sa.select(JournalEntry).where(JournalEntry.source_key.like("%race")))
    assert periods.lock_date() == FEBRUARY_END
    assert entry.date == date(2026, 3, 1)


def test_a_posting_under_way_holds_a_close_until_it_is_committed(app, books, staff):
    """The other order: the posting is flushed and not yet committed when the close
    starts; the close must wait for it, so the entry is in February before the close."""
    posting = threading.Event()
    committed = {}
    bookkeeper_id = staff[roles.BOOKKEEPER].id

    def post():
        post_cost_of_goods(
            source_key="cogs:shipment:first", on=date(2026, 2, 20), cost=700, description="First"
        )
        posting.set()
        time.sleep(0.5)
        # Taken before the commit: after it, the close (let go by it) may note its own
        # time first. A close that did not wait would be done during the half second.
        committed["post"] = time.monotonic()
        db.session.commit()

    def close():
        from shop.accounts.models import User

        assert posting.wait(timeout=10)
        periods.close_through(FEBRUARY_END, user=db.session.get(User, bookkeeper_id), today=TODAY)
        db.session.commit()
        committed["close"] = time.monotonic()

    outcome = at_once(app, post, close, commit=False)
    assert outcome.failed == [] and outcome.refused == []
    assert committed["post"] < committed["close"]
