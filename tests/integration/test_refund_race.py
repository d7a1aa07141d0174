"""Two refunds of the same order at the same moment never give back more than was paid.

Real threads, each with its own app context and database connection, released
together by a barrier. refund_order() and refund_amount() lock the order's row
before they read what is left to refund (on SQLite, the write lock taken at BEGIN
does the same), so the second waits, then sees the first refund and is refused;
nothing of it is written: no refund, no credit note, no entry.
"""

import pytest
import sqlalchemy as sa

from shop.accounting.models import JournalEntry
from shop.billing.models import CREDIT_NOTE, Invoice
from shop.extensions import db
from shop.orders.models import Order
from shop.refunds import services as refunds
from shop.refunds import status as st
from shop.refunds.models import Refund, RefundLine
from tests.factories import ProductFactory, VariantFactory
from tests.integration.books_helpers import pay, place_pending_order, unbalanced_entries
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.race_helpers import at_once


@pytest.fixture
def paid_order(app) -> Order:
    """Five lamps, paid."""
    classes = seed_reference_data()
    lamp = VariantFactory(
        product=ProductFactory(name="Camp Lamp"), sku="LAMP-7", price=2450, cost=1200,
        tax_class=classes["standard"], weight_g=400, length_mm=200, width_mm=150, height_mm=50,
        stock=10,
    )  # fmt: skip
    order = place_pending_order([(lamp.id, 5)])
    pay(order)
    db.session.commit()
    return order


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def refund_entries(order_id: int) -> int:
    return count(
        JournalEntry, JournalEntry.order_id == order_id, JournalEntry.source_type != "sale"
    )


def check_one_refund_kept(order_id: int, outcome, *, refused_with: str) -> Refund:
    assert outcome.failed == []  # a deadlock or a 500 would land here
    assert len(outcome.done) == 1, outcome
    [refused] = outcome.refused
    assert refused_with in refused
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    [refund] = db.session.scalars(sa.select(Refund).where(Refund.order_id == order_id)).all()
    assert count(Invoice, Invoice.kind == CREDIT_NOTE) == 1
    assert refunds.refunded_amount(order) <= refunds.paid_amount(order)
    assert refunds.refundable_amount(order) == order.total - refund.amount >= 0
    assert unbalanced_entries() == []
    return refund


def test_two_refunds_of_sixty_percent_at_once_one_is_refused(app, paid_order):
    order_id, total = paid_order.id, paid_order.total
    sixty = total * 60 // 100
    entries_before = refund_entries(order_id)

    def refunder(who: str):
        def refund():
            order = db.session.get(Order, order_id)
            refunds.refund_amount(
                order=order, amount=sixty, reason=st.GOODWILL, note=f"by {who}", notify=False
            )

        refund.__name__ = f"refund_by_{who}"
        return refund

    outcome = at_once(app, refunder("alice"), refunder("bob"))
    refund = check_one_refund_kept(order_id, outcome, refused_with="is left to refund")
    assert refund.amount == sixty
    assert f"Only ${(total - sixty) / 100:,.2f}" in outcome.refused[0]
    assert refund_entries(order_id) > entries_before  # the kept one posted its reversal
    kept = refund_entries(order_id)

    # Once more, now that nothing races: still refused, nothing written.
    with pytest.raises(st.RefundError):
        refunds.refund_amount(
            order=db.session.get(Order, order_id), amount=sixty, reason=st.GOODWILL
        )
    db.session.rollback()
    assert refund_entries(order_id) == kept and count(Refund) == 1


def test_two_refunds_of_three_of_five_units_at_once_one_is_refused(app, paid_order):
    order_id = paid_order.id
    [line] = paid_order.lines
    line_id = line.id

    def refunder(who: str):
        def refund():
            order = db.session.get(Order, order_id)
            refunds.refund_order(
                order=order, lines={line_id: 3}, reason=st.RETURN, note=f"by {who}",
                notify=False,
            )  # fmt: skip

        refund.__name__ = f"refund_by_{who}"
        return refund

    outcome = at_once(app, refunder("alice"), refunder("bob"))
    refund = check_one_refund_kept(
        order_id, outcome, refused_with="Only 2 of Camp Lamp can still be refunded"
    )
    assert count(RefundLine) == 1 and refund.lines[0].quantity == 3
    assert refunds.refunded_units(db.session.get(type(line), line_id)) == 3
