"""The daily lists (backorders, reorders) as pages, CSV and emails; draft purchase orders
from the reorder list; ship dates from open purchase orders on the storefront."""

import csv
import html
import io
import re
from datetime import timedelta

import lxml.html
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from shop.clock import store_today
from shop.extensions import db
from shop.formatting import local_date
from shop.purchasing import services as purchasing
from shop.purchasing import status as st
from shop.purchasing.models import PurchaseOrder
from tests.conftest import log_in
from tests.factories import SupplierFactory, UserFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item, mails, sent_po


@pytest.fixture
def classes(app):
    return seed_reference_data()


@pytest.fixture
def stove(classes):
    return backordered_item(classes)


@pytest.fixture
def lamp(classes):
    return backordered_item(classes, name="Hut Lamp", sku="LAMP-2")


def page_rows(page: str) -> list[list[str]]:
    """The cells of the backorder table's body rows, as text."""
    body = re.search(r'<table class="backorders">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def test_the_backorder_list_page_and_csv_show_every_open_backorder_oldest_first(
    app, stove, lamp, staff
):
    first = buy(app, [(stove, 2), (lamp, 1)], email="ann@example.com", full_name="Ann Early")
    second = buy(app, [(stove, 3)], email="bob@example.com", full_name="Bob Later")
    buy(app, [(lamp, 4)], email="unpaid@example.com", card=None)  # not paid: not listed
    today = store_today()
    po = sent_po(stove, 2, expected=today + timedelta(days=3))
    handling = app.config["HANDLING_DAYS"]
    client = app.test_client()
    log_in(client, staff["sales"].email)

    rows = page_rows(client.get("/admin/backorders").get_data(as_text=True))
    covered = local_date(today + timedelta(days=3 + handling))  # as every page writes a day
    by_lead = local_date(today + timedelta(days=10 + handling))
    assert [(r[0], r[2], r[3], r[5], r[6], r[7]) for r in rows] == [
        (first.number, "Ann Early <ann@example.com>", "STOVE-9", "2", covered, po.number),
        (first.number, "Ann Early <ann@example.com>", "LAMP-2", "1", by_lead, ""),
        (second.number, "Bob Later <bob@example.com>", "STOVE-9", "3", by_lead, ""),
    ]

    response = client.get("/admin/backorders.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header[0] == "Order" and header[-1] == "Purchase order"
    # The file keeps days as ISO dates, for spreadsheets; the page writes them for people.
    iso = {covered: (today + timedelta(days=3 + handling)).isoformat(),
           by_lead: (today + timedelta(days=10 + handling)).isoformat()}  # fmt: skip
    assert [(x[0], x[2], x[3], x[4], x[6], x[7], x[8]) for x in lines] == [
        (r[0], r[2].split(" <")[0], r[2].split("<")[1].rstrip(">"), r[3], r[5], iso[r[6]], r[7])
        for r in rows
    ]


def test_backorders_report_emails_warehouse_staff_and_the_owner(app, runner, stove, staff):
    UserFactory(role="warehouse", email="off@shop.test", is_enabled=False)
    order = buy(app, [(stove, 2)])
    db.session.commit()
    result = runner.invoke(args=["backorders", "report"])
    assert result.exit_code == 0, result.output
    assert "1 backordered line, 2 units" in result.output
    sent = mails("backorder_report")
    assert sorted(m.to_address for m in sent) == ["owner@shop.test", "warehouse@shop.test"]
    assert all(order.number in m.body_text and "STOVE-9" in m.body_text for m in sent)
    for message in sent:  # the subject and both bodies count alike
        assert message.subject.endswith(": 1 line, 2 units")
        assert ": 1 line, 2 units waiting" in message.body_text
        assert ": 1 line, 2 units waiting" in message.body_html


def test_reorder_report_emails_the_list(app, runner, stove, staff):
    stove.stock.reorder_point = 5
    stove.stock.reorder_quantity = 12
    db.session.commit()
    result = runner.invoke(args=["reorder", "report"])
    assert result.exit_code == 0, result.output
    assert "1 variant to reorder, 12 units suggested" in result.output
    sent = mails("reorder_report")
    assert sorted(m.to_address for m in sent) == ["owner@shop.test", "warehouse@shop.test"]
    assert "STOVE-9" in sent[0].body_text and "order 12 from Trail Stove Co" in sent[0].body_text
    for message in sent:
        assert message.subject.endswith(": 1 variant to order")
        assert ": 1 variant to order (by" in message.body_text
        assert ": 1 variant to order (by" in message.body_html


def test_reorder_list_suggests_quantities_and_makes_one_draft_per_supplier(
    app, runner, classes, stove, lamp, staff
):
    other = SupplierFactory(name="Far Away Ltd", lead_time_days=30)
    # stove: 0 free, 3 backordered, 4 on order (sent) -> 1 < 6: max(2, 6 - 1) = 5
    buy(app, [(stove, 3)])
    sent_po(stove, 4)
    # lamp: 2 free, nothing on order -> 2 < 5: max(10, 3) = 10
    purchasing_stock(lamp, on_hand=2, reorder_point=5, reorder_quantity=10)
    stove.stock.reorder_point, stove.stock.reorder_quantity = 6, 2
    # rope: same supplier as the lamp? no: its own; 8 free, point 8 -> not below, not listed
    rope = VariantFactory(sku="ROPE-1", tax_class=classes["standard"], stock=8)
    rope.stock.reorder_point, rope.stock.supplier = 8, other
    # tarp: another variant of the lamp's supplier, 1 free, point 4, quantity 0 -> 3
    tarp = VariantFactory(sku="TARP-1", tax_class=classes["standard"], stock=1, cost=700)
    tarp.stock.reorder_point, tarp.stock.supplier_id = 4, lamp.stock.supplier_id
    db.session.commit()

    client = app.test_client()
    log_in(client, staff["warehouse"].email)
    page = text_of(client.get("/admin/reorder"))
    assert "ROPE-1" not in page
    from shop.planning.reorder import reorder_list

    assert {r.variant.sku: r.suggested for r in reorder_list()} == {
        "STOVE-9": 5,
        "LAMP-2": 10,
        "TARP-1": 3,
    }
    db.session.commit()  # end the read: the morning's report writes in its own session
    result = runner.invoke(args=["reorder", "report"])
    assert "3 variants to reorder, 18 units suggested" in result.output
    sent = mails("reorder_report")
    assert len(sent) == 2  # the warehouse and the owner
    for message in sent:
        assert message.subject.endswith(": 3 variants to order")
        assert ": 3 variants to order (by" in message.body_text
        assert ": 3 variants to order (by" in message.body_html

    ids = [str(v.id) for v in (stove, lamp, tarp)]
    response = client.post("/admin/reorder", data={"variant_ids": ids})
    assert response.status_code == 302
    drafts = db.session.scalars(
        sa.select(PurchaseOrder).where(PurchaseOrder.status == st.DRAFT).order_by(PurchaseOrder.id)
    ).all()
    assert flashes(text_of(client.get(response.headers["Location"]))) == [
        f"Draft purchase orders {drafts[0].number}, {drafts[1].number} created: "
        "check them and send them."
    ]
    assert [(po.supplier_id, sorted((ln.variant.sku, ln.quantity) for ln in po.lines))
            for po in drafts] == [
        (stove.stock.supplier_id, [("STOVE-9", 5)]),
        (lamp.stock.supplier_id, [("LAMP-2", 10), ("TARP-1", 3)]),
    ]  # fmt: skip
    tarp_line = next(ln for ln in drafts[1].lines if ln.variant_id == tarp.id)
    assert tarp_line.unit_cost == 700  # the variant's cost
    # Drafts count as on order: nothing is left to reorder.
    assert "Nothing to reorder." in text_of(client.get("/admin/reorder"))


def test_one_draft_from_the_reorder_list_is_it(app, classes, lamp, staff):
    purchasing_stock(lamp, on_hand=2, reorder_point=5, reorder_quantity=10)
    db.session.commit()
    client = app.test_client()
    log_in(client, staff["warehouse"].email)

    response = client.post("/admin/reorder", data={"variant_ids": [str(lamp.id)]})

    assert response.status_code == 302
    draft = db.session.scalar(sa.select(PurchaseOrder))
    assert flashes(text_of(client.get(response.headers["Location"]))) == [
        f"Draft purchase order {draft.number} created: check it and send it."
    ]


def purchasing_stock(variant, *, on_hand, reorder_point, reorder_quantity):
    from shop.inventory import reasons
    from shop.inventory.services import record_movement

    record_movement(variant_id=variant.id, quantity=on_hand, reason=reasons.ADJUSTMENT)
    variant.stock.reorder_point = reorder_point
    variant.stock.reorder_quantity = reorder_quantity


def test_a_variant_without_supplier_cannot_be_drafted(app, classes, staff):
    loner = VariantFactory(sku="LONE-1", tax_class=classes["standard"], stock=0)
    loner.stock.reorder_point = 3
    db.session.commit()
    client = app.test_client()
    log_in(client, staff["sales"].email)
    response = client.post("/admin/reorder", data={"variant_ids": [str(loner.id)]})
    assert response.status_code == 422
    assert "No supplier is set for LONE-1" in " ".join(
        errors_beside(text_of(response), "variant_ids")
    )
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0
    response = client.post("/admin/reorder", data={"variant_ids": ["abc"]})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0


def test_a_backorder_covered_by_a_sent_po_shows_its_date_on_the_product_page(app, stove, client):
    today = store_today()
    handling = app.config["HANDLING_DAYS"]
    buy(app, [(stove, 2)])  # two units already promised
    slug = stove.product.slug

    lead_date = local_date(today + timedelta(days=10 + handling))
    assert f"(around {lead_date})" in client.get(f"/p/{slug}").get_data(as_text=True)

    # A PO of 2 covers only the units already promised: a new order still waits the lead time.
    sent_po(stove, 2, expected=today + timedelta(days=4))
    assert f"(around {lead_date})" in client.get(f"/p/{slug}").get_data(as_text=True)

    later = sent_po(stove, 5, expected=today + timedelta(days=6))
    po_date = local_date(today + timedelta(days=6 + handling))
    assert f"(around {po_date})" in client.get(f"/p/{slug}").get_data(as_text=True)
    client.post("/cart/add", data={"variant_id": str(stove.id), "quantity": "1"})
    assert f"(around {po_date})" in client.get("/cart/").get_data(as_text=True)

    order = buy(app, [(stove, 1)], email="late@example.com")
    line = order.lines[0]
    assert line.expected_ship_date == today + timedelta(days=6 + handling)
    # More than the open orders cover waits for the supplier lead time again.
    client.post("/cart/add", data={"variant_id": str(stove.id), "quantity": "9"})
    assert f"(around {lead_date})" in client.get("/cart/").get_data(as_text=True)
    assert later.number.startswith("PO-")


def test_supplier_and_purchase_order_pages(app, stove, staff):
    client = app.test_client()
    log_in(client, staff["sales"].email)
    response = client.post(
        "/admin/suppliers/new",
        data={"name": "Canoe Works", "email": "bad", "lead_time_days": "x", "currency": "CAD"},
    )
    assert response.status_code == 422
    page = text_of(response)
    assert errors_beside(page, "email") == ["Enter a valid email address."]
    assert errors_beside(page, "lead_time_days") == ["Enter a whole number, like 5."]
    response = client.post(
        "/admin/suppliers/new",
        data={"name": "Canoe Works", "email": "po@canoe.example.com", "lead_time_days": "21",
              "currency": "cad", "contact_name": "Cy"},
    )  # fmt: skip
    assert response.status_code == 302
    supplier_id = db.session.scalar(sa.select(sa.func.max(PurchaseOrder.id)))
    assert supplier_id is None  # no purchase order yet
    from shop.purchasing.models import Supplier

    canoe = db.session.scalar(sa.select(Supplier).where(Supplier.name == "Canoe Works"))
    assert (canoe.lead_time_days, canoe.currency) == (21, "CAD")

    response = client.post("/admin/purchase-orders/new", data={"supplier_id": str(canoe.id)})
    assert response.status_code == 302
    po = db.session.scalar(sa.select(PurchaseOrder))
    assert po.status == st.DRAFT and re.fullmatch(r"PO-\d{6}", po.number)
    url = f"/admin/purchase-orders/{po.id}"
    response = client.post(
        f"{url}/lines", data={"sku": "NOPE", "quantity": "2", "unit_cost": "12.50"}
    )
    assert response.status_code == 422
    assert "No product has the SKU 'NOPE'." in errors_beside(text_of(response), "sku")
    response = client.post(
        f"{url}/lines", data={"sku": "stove-9", "quantity": "2", "unit_cost": "12.5x"}
    )
    assert response.status_code == 422
    assert errors_beside(text_of(response), "unit_cost") == [
        "Enter an amount in dollars and cents, like 24.99."
    ]
    response = client.post(
        f"{url}/lines", data={"sku": "stove-9", "quantity": "2", "unit_cost": "12.50"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    [line] = db.session.get(PurchaseOrder, po.id).lines
    assert (line.variant_id, line.quantity, line.unit_cost) == (stove.id, 2, 1250)

    response = client.post(f"{url}/send", follow_redirects=True)
    assert f"{po.number} sent to po@canoe.example.com." in flashes(text_of(response))
    [mail] = mails("purchase_order")
    assert mail.to_address == "po@canoe.example.com" and po.number in mail.subject
    assert "2 x STOVE-9" in mail.body_text and "$25.00" in mail.body_text
    [pdf] = mail.attachments
    assert (pdf.filename, pdf.content_type) == (f"{po.number}.pdf", "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert po.number in text and "STOVE-9" in text and "Canoe Works" in text
    db.session.expire_all()
    po = db.session.get(PurchaseOrder, po.id)
    assert po.status == st.SENT
    assert po.expected_date == store_today() + timedelta(days=21)
    # Each line without a date of its own shows the order's.
    [row] = lxml.html.fromstring(client.get(url).get_data(as_text=True)).xpath(
        '//tr[td[.="STOVE-9"]]'
    )
    assert local_date(po.expected_date) in row.text_content()
    # A sent order's lines no longer change; sending twice is refused.
    response = client.post(f"{url}/send", follow_redirects=True)
    assert "is sent, not a draft" in " ".join(flashes(text_of(response)))
    assert len(mails("purchase_order")) == 1
    assert "Receive goods" not in text_of(client.get(url))  # sales staff do not receive


def test_a_draft_of_a_supplier_with_one_day_s_lead_time_says_one_day(app, staff):
    supplier = SupplierFactory(name="Next Door Gear", lead_time_days=1)
    po = purchasing.create_purchase_order(supplier_id=supplier.id, user=None)
    db.session.commit()
    client = app.test_client()
    log_in(client, staff["sales"].email)
    page = text_of(client.get(f"/admin/purchase-orders/{po.id}"))
    assert "when sent: the supplier's lead time (1 day)" in page


def test_a_supplier_in_another_currency_gets_a_clear_message(app, staff):
    usd = SupplierFactory(name="Yankee Gear", currency="USD")
    with pytest.raises(Exception, match="USD"):
        purchasing.create_purchase_order(supplier_id=usd.id, user=staff["owner"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(PurchaseOrder.id))) == 0


def test_backorders_csv_cells_a_spreadsheet_would_run_are_kept_as_text(app, classes, staff):
    """OWASP CSV injection: = + - @ TAB CR (and their full-width forms) first are quoted."""
    tab = backordered_item(classes, name='\t=HYPERLINK("http://evil.example","Stove")', sku="T-1")
    cr = backordered_item(classes, name="\r=1+cmd|' /C calc'!A0", sku="T-2")
    buy(app, [(tab, 1), (cr, 1)], email="eve@example.com", full_name="＠SUM(1+1) Eve")
    client = app.test_client()
    log_in(client, staff["sales"].email)
    text = client.get("/admin/backorders.csv").get_data(as_text=True)
    _, *lines = list(csv.reader(io.StringIO(text)))
    assert sorted(line[5] for line in lines) == [
        '\'\t=HYPERLINK("http://evil.example","Stove")',
        "'\r=1+cmd|' /C calc'!A0",
    ]
    assert {line[2] for line in lines} == {"'＠SUM(1+1) Eve"}
