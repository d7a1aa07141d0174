"""Staff refund an order from the back office: items, shipping, a fee or an amount of goodwill."""

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.billing import files
from shop.billing.models import CREDIT_NOTE, Invoice
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.refunds.models import Refund
from shop.store_details.services import store_settings
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.en16931_rules import fatal
from tests.integration.invoice_checks import check_en16931, parse_ubl, pdf_text
from tests.integration.order_helpers import buy


@pytest.fixture
def order(app):
    classes = seed_reference_data()
    settings = store_settings()  # what the e-invoice rules need of the seller
    settings.email, settings.gst_hst_number = "shop@example.com", "123456789 RT0001"
    lamp = VariantFactory(
        product=ProductFactory(name="Camp Lamp"), sku="LAMP-7", price=2450,
        tax_class=classes["standard"], weight_g=400, stock=10,
    )  # fmt: skip
    db.session.commit()
    return buy(app, [(lamp, 2)], email="rita@example.com")


@pytest.fixture
def sales(app, staff):
    client = app.test_client()
    log_in(client, staff[roles.SALES].email)
    return client


def refund_page(client, order):
    return client.get(f"/admin/orders/{order.number}/refund")


def credit_notes() -> list[Invoice]:
    return list(db.session.scalars(sa.select(Invoice).where(Invoice.kind == CREDIT_NOTE)))


def test_sales_staff_refund_one_lamp_and_the_customer_gets_the_credit_note(sales, order):
    page = text_of(refund_page(sales, order))
    assert "left to refund" in page and "LAMP-7 Camp Lamp (bought 2, 2 left to refund)" in page
    line = order.lines[0]
    response = sales.post(
        f"/admin/orders/{order.number}/refund",
        data={f"line_{line.id}": "1", "note": "Scratched on arrival"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    [note] = credit_notes()
    assert flashes(text_of(response)) == [
        f"$27.69 refunded on order {order.number}; credit note {note.number} emailed."
    ]
    refund = db.session.scalars(sa.select(Refund)).one()
    assert (refund.status, refund.amount, refund.note) == (
        "succeeded",
        2769,
        "Scratched on arrival",
    )
    email = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "refund_issued")
    ).one()
    assert email.to_address == "rita@example.com" and "Scratched on arrival" in email.body_text
    assert "(bought 2, 1 left to refund)" in text_of(refund_page(sales, order))


def test_goodwill_of_an_amount_and_too_much_is_refused_beside_nothing_written(sales, order):
    url = f"/admin/orders/{order.number}/refund"
    response = sales.post(url, data={"amount": "10.00", "note": "Late parcel"})
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Refund.amount)).all() == [1000]
    refused = sales.post(url, data={"amount": "999.00"})
    assert refused.status_code == 422
    left = order.total - 1000
    assert f"Only ${left / 100:.2f} of order {order.number} is left to refund" in text_of(refused)
    both = sales.post(url, data={"amount": "1.00", "shipping": "y"})
    assert "either items and shipping, or an amount" in text_of(both)
    bad = sales.post(url, data={f"line_{order.lines[0].id}": "3"})
    assert bad.status_code == 422
    assert len(credit_notes()) == 1


def test_the_warehouse_may_not_refund_and_a_guest_is_sent_to_log_in(app, staff, order):
    warehouse = app.test_client()
    log_in(warehouse, staff[roles.WAREHOUSE].email)
    assert refund_page(warehouse, order).status_code == 403
    assert warehouse.post(f"/admin/orders/{order.number}/refund", data={}).status_code == 403
    assert refund_page(app.test_client(), order).status_code == 302
    assert credit_notes() == []


def test_a_lamp_refunded_by_hand_is_a_refund_of_items_not_goodwill(sales, order):
    line = order.lines[0]
    sales.post(f"/admin/orders/{order.number}/refund", data={f"line_{line.id}": "1"})
    refund = db.session.scalars(sa.select(Refund)).one()
    assert refund.reason_label == "Refund of items"
    email = db.session.scalars(
        sa.select(OutboxMessage.body_text).where(OutboxMessage.kind == "refund_issued")
    ).one()
    assert "(refund of items)" in email and "goodwill" not in email
    [note] = credit_notes()
    assert "Refund of items." in note.footer


def test_an_amount_given_back_credits_no_unit_on_the_credit_note(sales, order):
    """$10.00 of goodwill: the credit note and the email give part of the price back, and
    name no lamp as given back (one was bought per unit, none came back)."""
    sales.post(f"/admin/orders/{order.number}/refund", data={"amount": "10.00"})
    [note] = credit_notes()
    assert [(line.quantity, line.description) for line in note.lines] == [
        (0, "Part of the price: Camp Lamp")
    ]
    text = pdf_text(files.invoice_pdf(note))
    assert "Part of the price: Camp Lamp" in text and " -1 " not in text
    xml = files.invoice_xml(note)
    check_en16931(parse_ubl(xml))
    assert fatal(xml) == []
    email = db.session.scalars(
        sa.select(OutboxMessage.body_text).where(OutboxMessage.kind == "refund_issued")
    ).one()
    assert "Part of the price: Camp Lamp:" in email and " x 1" not in email
