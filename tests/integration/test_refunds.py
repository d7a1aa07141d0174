"""The refund use case with the demo provider: credit notes for a part, the reversing entries,
never more than was paid, and the customer's email."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop import month_end
from shop.accounting import chart
from shop.accounting.models import CommissionAgent, JournalEntry
from shop.billing import files
from shop.billing.models import CREDIT_NOTE, Invoice
from shop.billing.services import invoice_for_order
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.refunds import services as refunds
from shop.refunds import status as st
from shop.refunds.models import Refund
from shop.store_details.services import store_settings
from tests.factories import ProductFactory, VariantFactory
from tests.integration.books_helpers import balances, pay, place_pending_order
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.en16931_rules import fatal
from tests.integration.invoice_checks import check_en16931, parse_ubl


@pytest.fixture
def goods(app):
    classes = seed_reference_data()
    settings = store_settings()
    settings.email = "shop@example.com"
    settings.gst_hst_number = "123456789 RT0001"

    def variant(name, sku, price, tax_class="standard"):
        return VariantFactory(
            product=ProductFactory(name=name), sku=sku, price=price, cost=price // 2,
            tax_class=classes[tax_class], weight_g=400, length_mm=200, width_mm=150,
            height_mm=50, stock=100,
        )  # fmt: skip

    made = {
        "lamp": variant("Camp Lamp", "LAMP-7", 2450),
        "tent": variant("Ridge Tent", "TENT-1", 34900),
        "coffee": variant("Dark Roast Coffee", "CF-DARK", 1699, "zero-rated"),
    }
    db.session.commit()
    return made


def paid_order(goods, items, province="ON", **changes) -> Order:
    order = place_pending_order([(goods[k].id, q) for k, q in items], province=province)
    for name, value in changes.items():
        setattr(order, name, value)
    pay(order)
    db.session.commit()
    return order


def line_of(order: Order, sku: str):
    return next(line for line in order.lines if line.sku == sku)


def decide(order, **kwargs) -> Refund:
    kwargs.setdefault("reason", st.RETURN)
    refund = refunds.refund_order(order=order, **kwargs)
    db.session.commit()
    return refund


def credit_notes() -> list[Invoice]:
    query = sa.select(Invoice).where(Invoice.kind == CREDIT_NOTE).order_by(Invoice.id)
    return list(db.session.scalars(query))


def test_one_unit_of_a_line_is_credited_with_its_tax_and_the_money_goes_back(goods):
    order = paid_order(goods, [("lamp", 2), ("tent", 1)])
    lamp = line_of(order, "LAMP-7")
    refund = decide(order, lines={lamp.id: 1}, note="One lamp back")
    note = refund.credit_note
    assert (note.subtotal, note.shipping_total, note.tax_total) == (-2450, 0, -319)
    assert note.total == -2769 == -refund.amount
    assert note.number.startswith("CN-") and note.credits_invoice_id == invoice_for_order(order).id
    assert refund.status == st.PENDING

    assert refunds.send_refunds([refund.id]) == ["refund succeeded"]
    db.session.refresh(refund)
    assert refund.status == st.SUCCEEDED and refund.reference.startswith("demo_re_")
    books = balances()
    assert books[chart.REFUNDS] == 2450
    assert books[chart.tax_role("HST")] == -(order.tax_total - 319)
    history = [event.kind for event in db.session.get(Order, order.id).events]
    assert history[-2:] == ["refund_decided", "refund_succeeded"]
    email = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "refund_issued")
    ).one()
    assert email.to_address == order.email
    assert "$27.69" in email.subject and note.number in email.body_text
    assert [a.filename for a in email.attachments] == [f"{note.number}.pdf"]


def test_an_order_refunded_in_parts_is_credited_exactly_its_invoice(goods):
    order = paid_order(goods, [("lamp", 3), ("tent", 1), ("coffee", 1)], province="BC")
    invoice = invoice_for_order(order)
    lamp, tent, coffee = (line_of(order, s) for s in ("LAMP-7", "TENT-1", "CF-DARK"))
    decide(order, lines={lamp.id: 1})
    decide(order, lines={lamp.id: 1, coffee.id: 1})
    decide(order, lines={lamp.id: 1, tent.id: 1}, shipping=True)
    notes = credit_notes()
    assert sum(n.total for n in notes) == -invoice.total
    assert sum(n.subtotal for n in notes) == -invoice.subtotal
    for tax in invoice.taxes:
        credited = sum(t.amount for n in notes for t in n.taxes if t.component == tax.component)
        assert credited == -tax.amount, tax.component
    assert refunds.refundable_amount(order) == 0
    assert all(check.ok for check in month_end.tax_charged_checks())
    assert month_end.trial_balance_check().ok


def test_more_than_was_paid_is_refused_and_nothing_is_written(goods):
    order = paid_order(goods, [("lamp", 2)])
    lamp = line_of(order, "LAMP-7")
    decide(order, lines={lamp.id: 2})
    entries = db.session.scalar(sa.select(sa.func.count(JournalEntry.id)))
    with pytest.raises(st.RefundError, match="Only 0 of Camp Lamp can still be refunded"):
        refunds.refund_order(order=order, lines={lamp.id: 1}, reason=st.RETURN)
    db.session.rollback()
    with pytest.raises(st.RefundError, match="is left to refund"):
        refunds.refund_amount(order=order, amount=order.total, reason=st.GOODWILL)
    db.session.rollback()
    assert len(credit_notes()) == 1
    assert db.session.scalar(sa.select(sa.func.count(JournalEntry.id))) == entries
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 1


def test_an_unpaid_order_or_an_empty_refund_is_refused(goods):
    unpaid = place_pending_order([(goods["lamp"].id, 1)])
    db.session.commit()
    with pytest.raises(st.RefundError, match="was never paid"):
        refunds.refund_order(order=unpaid, lines={}, shipping=True, reason=st.GOODWILL)
    db.session.rollback()
    order = paid_order(goods, [("lamp", 1)])
    with pytest.raises(st.RefundError, match="Nothing to refund"):
        refunds.refund_order(order=order, lines={}, reason=st.GOODWILL)
    db.session.rollback()
    with pytest.raises(st.RefundError, match="not on this order"):
        refunds.refund_order(order=order, lines={unpaid.lines[0].id: 1}, reason=st.RETURN)


def test_a_restocking_fee_is_kept_from_the_goods_and_taxed_like_them(goods):
    order = paid_order(goods, [("tent", 1)])
    tent = line_of(order, "TENT-1")
    refund = decide(order, lines={tent.id: 1}, restocking_fee_percent=Decimal("15"))
    note = refund.credit_note
    fee = 5235  # 15 % of 349.00
    assert refund.restocking_fee == fee
    assert note.subtotal == -(34900 - fee)
    assert note.tax_total == -3856  # HST 13 % of 296.65 = 38.5645, rounded half-up
    assert refund.amount == 34900 - fee + 3856
    assert [(line.sku, line.line_total) for line in note.lines] == [
        ("TENT-1", -34900), ("RESTOCKING", fee)
    ]  # fmt: skip


def test_goodwill_of_an_amount_is_split_into_goods_and_tax_to_the_cent(goods):
    order = paid_order(goods, [("lamp", 2), ("coffee", 1)])
    refund = refunds.refund_amount(order=order, amount=1000, reason=st.GOODWILL, note="Late")
    db.session.commit()
    note = refund.credit_note
    assert refund.amount == 1000 == -note.total
    assert note.tax_total < 0 and note.subtotal < 0
    assert refund.lines and all(line.quantity == 0 for line in refund.lines)
    # The whole amount left afterwards gives back every unit and the shipping.
    rest = refunds.refund_amount(
        order=order, amount=refunds.refundable_amount(order), reason=st.GOODWILL
    )
    db.session.commit()
    assert sum(n.total for n in credit_notes()) == -order.total
    assert all(check.ok for check in month_end.tax_charged_checks())
    assert rest.amount == order.total - 1000


def test_a_commission_is_reversed_with_the_goods_given_back(goods):
    agent = CommissionAgent(name="Rita Referrer", code="RITA", rate=Decimal("0.05"))
    db.session.add(agent)
    db.session.flush()
    order = paid_order(
        goods, [("lamp", 2)], commission_agent_id=agent.id, commission_rate=Decimal("0.05")
    )
    lamp = line_of(order, "LAMP-7")
    decide(order, lines={lamp.id: 1})
    assert balances()[chart.COMMISSIONS] == 245 - 123  # 5 % of 49.00, less 5 % of 24.50 (1.225)
    decide(order, lines={lamp.id: 1}, shipping=True)
    assert balances()[chart.COMMISSIONS] == 0
    assert balances()[chart.COMMISSIONS_PAYABLE] == 0


@pytest.mark.parametrize("province", ["ON", "AB", "NS"])
def test_credit_notes_for_a_part_meet_the_official_rules(goods, province):
    order = paid_order(goods, [("lamp", 2), ("coffee", 2)], province=province)
    lamp, coffee = line_of(order, "LAMP-7"), line_of(order, "CF-DARK")
    made = [
        decide(order, lines={lamp.id: 1, coffee.id: 1}),
        decide(order, lines={lamp.id: 1}, restocking_fee_percent=Decimal("10")),
        decide(order, lines={coffee.id: 1}, shipping=True),
    ]
    for refund in made:
        xml = files.invoice_xml(refund.credit_note)
        check_en16931(parse_ubl(xml))
        assert fatal(xml) == [], refund.credit_note.number
