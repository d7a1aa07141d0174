"""A bookkeeper enters a supplier's bill, pays it in two parts and reads the aging,
through the pages; warehouse staff never see bills.

Every scenario runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.accounting import chart
from shop.accounts import roles
from shop.clock import store_today
from shop.extensions import db
from shop.payables import bills, checks
from shop.payables import models as m
from tests.conftest import log_in
from tests.integration.backoffice_helpers import errors_beside, text_of
from tests.integration.books_helpers import balances
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.payables_helpers import enter, received_po


@pytest.fixture
def classes(app):
    return seed_reference_data()


def bill_form(po, **changes) -> dict:
    """The bill form as proposed for the PO's one line, with the changes typed over it."""
    line = po.lines[0]
    data = {
        "invoice_number": "SUP-881",
        "bill_date": store_today().isoformat(),
        "due_date": "",
        bills.goods_field(line.id, "quantity"): "10",
        bills.goods_field(line.id, "unit_cost"): "12.00",
        "tax_GST": "",
        "tax_HST": "",
        "tax_QST": "",
        "tax_PST": "",
    }
    data.update(changes)
    return data


def flags_on(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="flag" data-flag="([^"]+)">(.*?)</p>', page))


def test_the_bookkeeper_enters_checks_posts_and_pays_a_bill_in_two_parts(classes, bookkeeper):
    po = received_po(classes, quantity=10, unit_cost=1200, province="AB")
    cost_field = bills.goods_field(po.lines[0].id, "unit_cost")

    page = text_of(bookkeeper.get(f"/admin/purchase-orders/{po.id}"))
    assert "Enter the bill" in page and "No bill entered yet." in page
    page = text_of(bookkeeper.get(f"/admin/purchase-orders/{po.id}/bill"))
    assert 'value="10"' in page and 'value="12.00"' in page  # the proposal

    # The supplier billed $12.50 a unit and GST of $5.00 (5 % of $125.00 is $6.25).
    typed = bill_form(po, **{cost_field: "12.50", "tax_GST": "5.00", "check": "1"})
    response = bookkeeper.post(f"/admin/purchase-orders/{po.id}/bill", data=typed)
    assert response.status_code == 200
    flags = flags_on(text_of(response))
    assert set(flags) == {cost_field, "tax_GST"}
    assert "$12.00" in flags[cost_field] and "$6.25" in flags["tax_GST"]
    assert db.session.scalar(sa.select(sa.func.count(m.SupplierBill.id))) == 0  # only checked

    typed = bill_form(po, **{cost_field: "12.50", "tax_GST": "6.25", "post": "1"})
    response = bookkeeper.post(f"/admin/purchase-orders/{po.id}/bill", data=typed)
    assert response.status_code == 302
    bill = db.session.scalar(sa.select(m.SupplierBill))
    assert response.headers["Location"].endswith(f"/admin/bills/{bill.id}")
    assert (bill.total, bill.status) == (13125, m.OPEN)
    assert bill.due_date == store_today() + timedelta(days=30)

    page = text_of(bookkeeper.get(f"/admin/bills/{bill.id}"))
    assert f"#entry-{bill.entry_id}" in page and "$131.25" in page and "$5.00" in page
    page = text_of(bookkeeper.get(f"/admin/purchase-orders/{po.id}"))
    assert "SUP-881" in page and "Enter the bill" not in page  # all 10 units billed

    paid = {"paid_on": store_today().isoformat(), "method": "cheque", "reference": "1042"}
    response = bookkeeper.post(f"/admin/bills/{bill.id}/pay", data={**paid, "amount": "100.00"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (bill.status, bill.open_amount) == (m.PARTLY_PAID, 3125)

    aging = text_of(bookkeeper.get("/admin/payables/aging"))
    assert f'data-total="{-balances()[chart.PAYABLE]}"' in aging  # the account's balance
    assert 'data-total="3125"' in aging
    assert f"/admin/bills?supplier={bill.supplier_id}&amp;age=current" in response_html(
        bookkeeper, "/admin/payables/aging"
    )
    listed = text_of(bookkeeper.get(f"/admin/bills?supplier={bill.supplier_id}&age=current"))
    assert "SUP-881" in listed
    assert "SUP-881" not in text_of(bookkeeper.get("/admin/bills?age=1-30"))
    rows = list(csv.reader(io.StringIO(bookkeeper.get("/admin/payables/aging.csv").text)))
    assert rows[0] == ["Supplier", "Current", "1-30 days", "31-60 days", "61-90 days",
                       "Over 90 days", "Total"]  # fmt: skip
    assert rows[-1] == ["Total", "31.25", "0.00", "0.00", "0.00", "0.00", "31.25"]

    paid = {**paid, "method": "eft", "reference": "EFT-2026-12"}
    response = bookkeeper.post(f"/admin/bills/{bill.id}/pay", data={**paid, "amount": "31.25"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (bill.status, bill.open_amount) == (m.PAID, 0)
    assert checks.payable_difference() == checks.received_not_billed_difference() == 0
    assert "Nothing is owed to suppliers." in text_of(bookkeeper.get("/admin/payables/aging"))


def response_html(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def test_billing_more_than_received_shows_beside_the_field_and_saves_nothing(classes, bookkeeper):
    po = received_po(classes, quantity=10, unit_cost=1200, received=6)
    quantity = bills.goods_field(po.lines[0].id, "quantity")
    typed = bill_form(po, **{quantity: "7", "post": "1"})
    response = bookkeeper.post(f"/admin/purchase-orders/{po.id}/bill", data=typed)
    assert response.status_code == 422
    [message] = errors_beside(response.get_data(as_text=True), quantity)
    assert "6 received and not yet billed" in message
    assert db.session.scalar(sa.select(sa.func.count(m.SupplierBill.id))) == 0
    assert checks.received_not_billed_difference() == 0


def test_a_duplicate_invoice_number_and_an_overpayment_are_refused_on_the_page(classes, bookkeeper):
    po = received_po(classes, quantity=10, unit_cost=1200)
    bill = enter(po, "SUP-881", quantity=5)
    quantity = bills.goods_field(po.lines[0].id, "quantity")
    typed = bill_form(po, **{quantity: "5", "post": "1"})
    response = bookkeeper.post(f"/admin/purchase-orders/{po.id}/bill", data=typed)
    assert response.status_code == 422
    assert "already entered" in errors_beside(response.get_data(as_text=True), "invoice_number")[0]

    paid = {"paid_on": store_today().isoformat(), "method": "cheque", "reference": "7"}
    response = bookkeeper.post(f"/admin/bills/{bill.id}/pay", data={**paid, "amount": "60.01"})
    assert response.status_code == 422
    assert "would overpay" in errors_beside(response.get_data(as_text=True), "amount")[0]
    db.session.expire_all()
    assert bill.amount_paid == 0
    assert db.session.scalar(sa.select(sa.func.count(m.SupplierBill.id))) == 1


def test_the_warehouse_sees_no_bills(app, classes, staff):
    po = received_po(classes, quantity=2, unit_cost=1000)
    bill = enter(po)
    warehouse = app.test_client()
    log_in(warehouse, staff[roles.WAREHOUSE].email)
    for url in (
        "/admin/bills",
        f"/admin/bills/{bill.id}",
        f"/admin/purchase-orders/{po.id}/bill",
        "/admin/bills/to-pay",
        "/admin/payables/aging",
        "/admin/payables/aging.csv",
    ):
        assert warehouse.get(url).status_code == 403, url
    paid = {"paid_on": store_today().isoformat(), "method": "eft", "reference": "X", "amount": "1"}
    assert warehouse.post(f"/admin/bills/{bill.id}/pay", data=paid).status_code == 403
    page = text_of(warehouse.get(f"/admin/purchase-orders/{po.id}"))
    assert "Enter the bill" not in page and bill.invoice_number not in page
    db.session.expire_all()
    assert bill.amount_paid == 0


def test_payment_terms_are_kept_on_the_supplier_form(app, staff, classes):
    owner = app.test_client()
    log_in(owner, staff[roles.OWNER].email)
    po = received_po(classes, quantity=2, unit_cost=1000)
    supplier = po.supplier
    form = {"name": supplier.name, "email": "po@supplier.example.com", "lead_time_days": "10",
            "currency": "CAD", "payment_terms_days": "45", "province": "qc"}  # fmt: skip
    response = owner.post(f"/admin/suppliers/{supplier.id}/edit", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    assert (supplier.payment_terms_days, supplier.province) == (45, "QC")
    bill = enter(po)
    assert bill.due_date == store_today() + timedelta(days=45)


def test_a_scheduled_payment_shows_on_the_to_pay_list_and_a_void_frees_the_units(
    classes, bookkeeper
):
    po = received_po(classes, quantity=4, unit_cost=1000)
    bill = enter(po, "SCH-1")
    assert "waiting to be billed" in text_of(bookkeeper.get(f"/admin/purchase-orders/{po.id}/bill"))
    pay_on = (store_today() + timedelta(days=3)).isoformat()
    response = bookkeeper.post(f"/admin/bills/{bill.id}/schedule", data={"pay_on": pay_on})
    assert response.status_code == 302
    page = text_of(bookkeeper.get(f"/admin/bills/to-pay?by={pay_on}"))
    assert "SCH-1" in page and "$40.00" in page
    earlier = (store_today() + timedelta(days=2)).isoformat()
    assert "SCH-1" not in text_of(bookkeeper.get(f"/admin/bills/to-pay?by={earlier}"))

    assert bookkeeper.post(f"/admin/bills/{bill.id}/void").status_code == 302
    db.session.expire_all()
    assert bill.status == m.VOID
    listed = text_of(bookkeeper.get(f"/admin/bills/to-pay?by={pay_on}"))
    assert f'data-bill="{bill.id}"' not in listed and "Nothing to pay by then." in listed
    assert "Enter the bill" in text_of(bookkeeper.get(f"/admin/purchase-orders/{po.id}"))
    assert checks.payable_difference() == checks.received_not_billed_difference() == 0
