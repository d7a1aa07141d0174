"""The demo provider pays out each store day's cleared money once, by `flask payouts demo`:
its payments of the day less their fees, however often (or how many at once) it runs."""

from datetime import timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import JournalEntry
from shop.accounts import roles
from shop.clock import store_date
from shop.extensions import db
from shop.payments.models import Payout
from shop.payouts import services as payouts
from tests.conftest import CLOCK_START, log_in
from tests.integration.backoffice_helpers import text_of
from tests.integration.books_helpers import balances
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.race_helpers import at_once
from tests.integration.test_payouts import fee_posted


@pytest.fixture
def stove(app):
    from tests.factories import ProductFactory, VariantFactory

    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Camp Stove"), sku="STOVE-1", price=8900,
        tax_class=classes["standard"], weight_g=900, stock=20,
    )  # fmt: skip


def demo_payouts() -> list[Payout]:
    return list(db.session.scalars(sa.select(Payout).order_by(Payout.arrival_date)))


def test_the_demo_pays_out_each_day_once_however_often_the_job_runs(app, runner, stove, clock):
    first = buy(app, [(stove, 1)], email="a@example.com")
    second = buy(app, [(stove, 2)], email="b@example.com")
    clock.shift(timedelta(days=1))
    third = buy(app, [(stove, 1)], email="c@example.com")  # today: not paid out yet
    day_one = store_date(first.paid_at)

    done = runner.invoke(args=["payouts", "demo"])
    assert done.exit_code == 0, done.output
    [payout] = demo_payouts()
    net = first.total + second.total - fee_posted(first) - fee_posted(second)
    assert payout.provider_payout_id == f"demo:{day_one.isoformat()}"
    assert payout.amount == net and payout.arrival_date == day_one + timedelta(days=1)
    assert "paid out 1 day of" in done.output
    assert payouts.clearing_difference() == 0

    again = runner.invoke(args=["payouts", "demo"])
    assert again.exit_code == 0 and "paid out 0 days of" in again.output
    assert len(demo_payouts()) == 1

    clock.shift(timedelta(days=1))
    assert runner.invoke(args=["payouts", "demo"]).exit_code == 0
    assert [p.amount for p in demo_payouts()] == [net, third.total - fee_posted(third)]
    assert balances()[chart.CLEARING] == 0
    assert payouts.clearing_difference() == 0


def test_two_demo_payout_runs_at_once_pay_each_day_once(app, stove, clock):
    buy(app, [(stove, 1)], email="a@example.com")
    clock.shift(timedelta(days=1))
    buy(app, [(stove, 3)], email="b@example.com")
    clock.shift(timedelta(days=1))

    def run_one():
        payouts.pay_out_demo()

    def run_two():
        payouts.pay_out_demo()

    outcome = at_once(app, run_one, run_two)
    assert outcome.failed == [] and sorted(outcome.done) == ["run_one", "run_two"]
    assert len(demo_payouts()) == 2
    keys = db.session.scalars(sa.select(JournalEntry.source_key).where(
        JournalEntry.source_type == "payout"
    )).all()  # fmt: skip
    assert len(keys) == 2
    assert balances()[chart.CLEARING] == 0 and payouts.clearing_difference() == 0


def test_a_month_an_older_demo_history_paid_out_in_one_summary_is_not_paid_again(app, stove, clock):
    sold = buy(app, [(stove, 1)], email="a@example.com")
    cleared = sold.total - fee_posted(sold)
    books.post_entry(
        source_type="history", source_key="history:2026-03:payout", on=CLOCK_START.date(),
        description="Demo processor payouts for 2026-03 (summary)",
        lines=[books.Line(chart.BANK, debit=cleared), books.Line(chart.CLEARING, credit=cleared)],
    )  # fmt: skip
    db.session.commit()
    clock.shift(timedelta(days=1))
    assert payouts.pay_out_demo() == []
    assert balances()[chart.CLEARING] == 0 and payouts.clearing_difference() == 0


def test_the_payouts_list_says_paid_or_failed_in_words(app, stove, staff):
    on = store_date(CLOCK_START)
    for payout_id in ("demo:paid", "demo:failed"):
        payouts.record_payout(
            provider="demo", payout_id=payout_id, amount=5000, currency="CAD", arrival_date=on
        )
    payouts.fail_payout(
        provider="demo", payout_id="demo:failed", amount=5000, currency="CAD", on=on
    )
    db.session.commit()
    bookkeeper = app.test_client()
    log_in(bookkeeper, staff[roles.BOOKKEEPER].email)

    doc = lxml.html.fromstring(text_of(bookkeeper.get("/admin/accounting/payouts")))
    status = {
        row.get("data-payout"): row.xpath("td")[4].text_content().strip()
        for row in doc.xpath("//table[@class='payouts']/tbody/tr[@data-payout]")
    }
    assert status == {"demo:paid": "Paid", "demo:failed": "Failed"}
