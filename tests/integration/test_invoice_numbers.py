"""Invoice numbers: gapless and unique however many payments arrive at once.

Real threads, each with its own app context and database connection, released
together by a barrier, as webhooks reaching several gunicorn workers would be.
The store is new: the first payments also start the year's series, the chart of
accounts and the settings row, and must not trip over each other doing so.
"""

import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shop import clock
from shop.accounting import chart
from shop.accounting.models import Account
from shop.billing import services as billing
from shop.billing.models import INVOICE, Invoice, InvoiceSequence
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.services import apply_payment_event
from shop.store_details.models import StoreSettings
from tests.factories import ProductFactory, VariantFactory
from tests.integration.books_helpers import (
    balances,
    open_payment,
    paid_event,
    place_pending_order,
)
from tests.integration.checkout_helpers import seed_reference_data

PAYERS = 50


@pytest.fixture
def lantern(app):
    classes = seed_reference_data()
    return VariantFactory(
        product=ProductFactory(name="Storm Lantern"), price=4500, tax_class=classes["standard"],
        stock=1000,
    )  # fmt: skip


def pending_orders(variant_id: int, count: int, provinces=("ON", "QC", "BC", "NS", "AB")):
    """Orders waiting for payment, each with its demo payment; committed."""
    ids = []
    for n in range(count):
        order = place_pending_order(
            [(variant_id, 1 + n % 3)], province=provinces[n % len(provinces)],
            email=f"payer{n}@example.com",
        )  # fmt: skip
        open_payment(order)
        ids.append(order.id)
    db.session.commit()
    return ids


def invoice_numbers() -> list[str]:
    query = sa.select(Invoice.number).where(Invoice.kind == INVOICE).order_by(Invoice.number)
    return list(db.session.scalars(query))


def expected_numbers(count: int, start: int = 1) -> list[str]:
    issued = db.session.scalar(sa.select(sa.func.min(Invoice.issued_at)))
    year = clock.store_date(issued).year
    return [f"INV-{year}-{n:06d}" for n in range(start, start + count)]


def pay_in_parallel(app, order_ids: list[int]) -> tuple[list[str], list[Exception], float]:
    """Each thread pays its own order at the same moment; returns outcomes and errors."""
    barrier = threading.Barrier(len(order_ids))
    outcomes, errors = [], []

    def payer(order_id: int):
        with app.app_context():
            try:
                order = db.session.get(Order, order_id)
                event = paid_event(order, order.payments[0])
                db.session.rollback()  # end the read; the race starts at the barrier
                barrier.wait(timeout=60)
                outcomes.append(apply_payment_event(event))
                db.session.commit()
            except Exception as exc:  # reported by the test
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=payer, args=(order_id,)) for order_id in order_ids]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a payer is stuck"
    return outcomes, errors, time.perf_counter() - started


def test_fifty_orders_paid_at_once_get_fifty_consecutive_numbers(app, lantern, record_property):
    order_ids = pending_orders(lantern.id, PAYERS)
    outcomes, errors, seconds = pay_in_parallel(app, order_ids)
    record_property("payments_seconds", round(seconds, 2))  # shown with --junitxml
    assert errors == []
    assert outcomes == ["order paid"] * PAYERS

    numbers = invoice_numbers()
    assert numbers == expected_numbers(PAYERS)  # 000001 to 000050: no gap, no duplicate
    invoices = db.session.scalars(sa.select(Invoice).where(Invoice.kind == INVOICE)).all()
    assert sorted(i.order_id for i in invoices) == sorted(order_ids)  # one each
    for invoice in invoices:
        order = db.session.get(Order, invoice.order_id)
        assert order.status == "paid" and invoice.total == order.total
    [series] = db.session.scalars(sa.select(InvoiceSequence)).all()
    assert series.last_value == PAYERS
    # The first payments of a new store started the chart and the settings once.
    assert db.session.scalar(sa.select(sa.func.count(StoreSettings.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Account.id))) == len(chart.CHART)
    assert sum(balances().values()) == 0


def test_a_payment_that_rolls_back_gives_its_number_to_the_next(app, lantern):
    first, lost, next_ = pending_orders(lantern.id, 3)
    assert apply_payment_event(paid_event(*_with_payment(first))) == "order paid"
    db.session.commit()

    # The payment is applied, its invoice numbered, then its transaction fails.
    assert apply_payment_event(paid_event(*_with_payment(lost))) == "order paid"
    assert billing.invoice_for_order(db.session.get(Order, lost)).number.endswith("-000002")
    db.session.rollback()

    assert apply_payment_event(paid_event(*_with_payment(next_))) == "order paid"
    db.session.commit()
    assert invoice_numbers() == expected_numbers(2)
    assert billing.invoice_for_order(db.session.get(Order, next_)).number.endswith("-000002")
    assert db.session.get(Order, lost).status == "pending_payment"
    assert billing.invoice_for_order(db.session.get(Order, lost)) is None


def test_a_number_held_by_a_payment_that_then_fails_goes_to_the_one_waiting(app, lantern):
    """Two payments at once: the first holds the next number until it rolls back; the
    second, waiting for the series meanwhile, takes that number."""
    first, holder, waiter = pending_orders(lantern.id, 3)
    assert apply_payment_event(paid_event(*_with_payment(first))) == "order paid"
    db.session.commit()
    holding, released = threading.Event(), threading.Event()
    results = {}

    def hold():
        with app.app_context():
            try:
                apply_payment_event(paid_event(*_with_payment(holder)))
                results["held"] = billing.invoice_for_order(db.session.get(Order, holder)).number
                holding.set()
                released.wait(timeout=30)
                time.sleep(0.3)  # the waiter is queued on the series by now
            finally:
                db.session.rollback()
                db.session.remove()

    def wait():
        with app.app_context():
            try:
                holding.wait(timeout=30)
                released.set()
                started = time.perf_counter()
                apply_payment_event(paid_event(*_with_payment(waiter)))
                db.session.commit()
                results["waited"] = time.perf_counter() - started
                results["got"] = billing.invoice_for_order(db.session.get(Order, waiter)).number
            finally:
                db.session.remove()

    threads = [threading.Thread(target=hold), threading.Thread(target=wait)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results["held"].endswith("-000002")
    assert results["got"] == results["held"]
    assert results["waited"] >= 0.2  # it did queue behind the holder
    assert invoice_numbers() == expected_numbers(2)


def _with_payment(order_id: int):
    order = db.session.get(Order, order_id)
    return order, order.payments[0]


def test_the_year_in_the_number_is_the_stores_not_utc(app, lantern):
    """New Year's Eve, 11:30 pm in Toronto, is already 1 January in UTC."""
    [order_id] = pending_orders(lantern.id, 1)
    new_years_eve = datetime(2027, 1, 1, 4, 30, tzinfo=UTC)
    apply_payment_event(paid_event(*_with_payment(order_id)), now=new_years_eve)
    db.session.commit()
    assert invoice_numbers() == ["INV-2026-000001"]
