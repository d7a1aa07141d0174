"""The invoice as files: the PDF emailed when an order is paid and kept in the customer's
account, the UBL XML beside it, and staff downloads of both."""

from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.billing import files
from shop.billing.models import Invoice
from shop.billing.services import invoice_for_order, issue_credit_note
from shop.documents.invoice import render_invoice
from shop.extensions import db
from shop.notifications.attachments import content_of
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.shipping.models import ShippingService
from shop.store_details.services import store_settings
from tests.conftest import log_in
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.factories.store import ridge_tent
from tests.integration.checkout_helpers import (
    choose_delivery,
    fill_address,
    pay,
    place,
    seed_reference_data,
)
from tests.integration.invoice_checks import (
    NS,
    check_en16931,
    dollars,
    parse_ubl,
    pdf_pages,
    pdf_text,
    text,
)
from tests.integration.order_helpers import buy
from tests.integration.test_outbox import Inbox, free_port, mail_server_on

LEGAL_NAME = "Maple & Pine Outfitters Inc."
GST_HST = "123456789 RT0001"
QST = "1234567890 TQ0001"
QUEBEC = {"city": "Montréal", "province": "QC", "postal_code": "H2X 1Y4"}


@pytest.fixture
def store(app):
    classes = seed_reference_data()
    settings = store_settings()
    settings.legal_name = LEGAL_NAME
    settings.gst_hst_number = GST_HST
    settings.qst_number = QST
    settings.phone = "416-555-0100"
    tent = ridge_tent(classes, stock=20)
    lamp = VariantFactory(
        product=ProductFactory(name="Camp Lamp"), sku="LAMP-7", price=2450,
        tax_class=classes["standard"], weight_g=300, length_mm=150, width_mm=100, height_mm=100,
        stock=20,
    )  # fmt: skip
    db.session.commit()
    services = {s.code: s for s in db.session.scalars(sa.select(ShippingService))}
    return {"tent": tent, "lamp": lamp, "services": services, "classes": classes}


def checkout(client, store, *, items, email="guest@example.com", **address):
    for variant, quantity in items:
        client.post("/cart/add", data={"variant_id": str(variant.id), "quantity": str(quantity)})
    fill_address(client, email=email, **address)
    choose_delivery(client, store["services"]["expedited"].id)
    location = place(client).headers["Location"]
    pay(client, location)
    number = location.rstrip("/").rsplit("/", 1)[-1]
    order = db.session.scalar(sa.select(Order).where(Order.number == number))
    assert order.status == "paid"
    return order, invoice_for_order(order)


def confirmation_mail(order) -> OutboxMessage:
    return db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == "order_confirmation", OutboxMessage.to_address == order.email
        )
    )


def store_day(moment) -> str:
    """en_CA's medium date, written out by hand: Nov 24, 2026."""
    day = moment.astimezone(ZoneInfo("America/Toronto"))
    return f"{day:%b} {day.day}, {day.year}"


# --- the email --------------------------------------------------------------------------


def test_paying_emails_the_invoice_pdf_with_every_figure(client, store):
    order, invoice = checkout(client, store, items=[(store["tent"], 1), (store["lamp"], 3)])
    assert invoice.number.startswith("INV-") and len(invoice.number) == len("INV-2026-000001")
    mail = confirmation_mail(order)
    [attachment] = mail.attachments
    assert attachment.filename == f"{invoice.number}.pdf"
    assert attachment.content_type == "application/pdf"
    assert f"Your invoice {invoice.number} is attached" in mail.body_text
    assert f"Your invoice {invoice.number} is attached" in mail.body_html

    page = pdf_text(content_of(attachment))
    assert "Invoice" in page and invoice.number in page
    assert LEGAL_NAME in page and f"GST/HST {GST_HST}" in page
    assert f"Order {order.number}" in page
    for line in ("Ridge Tent TENT-1 1 $349.00 Standard rated $349.00",
                 "Camp Lamp LAMP-7 3 $24.50 Standard rated $73.50"):  # fmt: skip
        assert line in page
    assert "Gail Guest" in page and "100 Queen St W" in page and "Toronto ON M5H 2N2" in page
    assert "guest@example.com" in page
    assert f"Subtotal {dollars(42250)}" in page
    assert f"Shipping ({order.shipping_service_name}) {dollars(order.shipping_total)}" in page
    [hst] = invoice.taxes
    assert hst.amount == round((42250 + order.shipping_total) * 13 / 100)
    assert f"HST 13% {dollars(hst.amount)}" in page
    assert f"Total CAD {dollars(order.total)}" in page
    assert order.total == 42250 + order.shipping_total + hst.amount
    assert f"PAID by Visa ending 4242 (demo) on {store_day(invoice.paid_at)}" in page
    assert f"Date {store_day(invoice.issued_at)}" in page


def test_a_quebec_invoice_shows_gst_and_qst_on_their_own_lines(client, store):
    order, invoice = checkout(client, store, items=[(store["tent"], 2)], **QUEBEC)
    page = pdf_text(content_of(confirmation_mail(order).attachments[0]))
    gst, qst = invoice.taxes
    base = 69800 + order.shipping_total
    assert (gst.component, gst.amount) == ("GST", round(base * 5 / 100))
    qst_amount = (Decimal(base) * Decimal("0.09975")).quantize(Decimal(1), ROUND_HALF_UP)
    assert (qst.component, qst.amount) == ("QST", int(qst_amount))
    assert f"GST 5% {dollars(gst.amount)}" in page
    assert f"QST 9.975% {dollars(qst.amount)}" in page
    assert "HST" not in page.replace("GST/HST", "")
    assert "Montréal QC H2X 1Y4" in page
    assert f"Total CAD {dollars(69800 + order.shipping_total + gst.amount + qst.amount)}" in page


@pytest.fixture
def smtp_server():
    port = free_port()
    with mail_server_on(port, Inbox()) as inbox:
        yield inbox, port


def test_the_invoice_pdf_reaches_a_real_smtp_server_as_an_attachment(app, client, store,
                                                                     smtp_server):  # fmt: skip
    inbox, port = smtp_server
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    order, invoice = checkout(client, store, items=[(store["tent"], 1)])
    [received] = inbox.messages  # delivered by the job queued when the payment committed
    assert received["Subject"] == f"Order {order.number} confirmed"
    assert invoice.number in received.get_body(preferencelist=("plain",)).get_content()
    [attached] = list(received.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == f"{invoice.number}.pdf"
    data = attached.get_content()
    assert data == content_of(confirmation_mail(order).attachments[0])
    assert invoice.number in pdf_text(data)


# --- a long invoice ---------------------------------------------------------------------


def test_a_60_line_order_gives_a_numbered_invoice_of_several_pages(app, store):
    items = [
        (
            VariantFactory(
                product=ProductFactory(name=f"Trail Snack {n:02d}"),
                sku=f"SNACK-{n:02d}",
                price=300 + n,
                tax_class=store["classes"]["standard"],
                weight_g=50,
                length_mm=80,
                width_mm=50,
                height_mm=20,
                stock=5,
            ),
            1 + n % 3,
        )  # fmt: skip
        for n in range(1, 61)
    ]
    order = buy(app, items, service="expedited")
    invoice = invoice_for_order(order)
    assert len(invoice.lines) == 60
    pages = pdf_pages(content_of(confirmation_mail(order).attachments[0]))
    total = len(pages)
    assert total >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        # the header and the lines' column headings come back on every page
        assert page.startswith(f"{LEGAL_NAME} Invoice {invoice.number}")
    for page in pages[1:]:
        assert "Description SKU Qty Unit price Tax class Amount" in page
    everything = " ".join(pages)
    for variant, quantity in items:
        line = f"{variant.product.name} {variant.sku} {quantity} {dollars(variant.price)}"
        assert line in everything
    assert "Page 1 of 1" not in everything
    assert f"Total CAD {dollars(order.total)}" in pages[-1]
    assert "PAID" in pages[-1]


# --- the customer's account ---------------------------------------------------------------


def test_the_customer_downloads_the_same_invoice_from_their_account(app, client, customer, store):
    log_in(client, customer.email)
    order, invoice = checkout(client, store, items=[(store["lamp"], 2)], email=customer.email)
    assert invoice.user_id == customer.id

    overview = client.get("/account/").get_data(as_text=True)
    assert 'href="/account/invoices"' in overview
    listing = client.get("/account/invoices").get_data(as_text=True)
    assert invoice.number in listing and dollars(invoice.total) in listing and "Paid" in listing
    assert f'href="/account/invoices/{invoice.number}.pdf"' in listing
    assert f'href="/account/invoices/{invoice.number}.xml"' in listing

    response = client.get(f"/account/invoices/{invoice.number}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in response.headers["Content-Disposition"]
    assert invoice.number in pdf_text(response.data)
    assert response.data == content_of(
        confirmation_mail(order).attachments[0]
    )  # the very same file

    response = client.get(f"/account/invoices/{invoice.number}.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert text(parse_ubl(response.data), "cbc:ID") == invoice.number


def test_another_customer_or_a_visitor_cannot_have_the_invoice(app, client, customer, store):
    log_in(client, customer.email)
    _, invoice = checkout(client, store, items=[(store["lamp"], 1)], email=customer.email)
    guest_order = buy(app, [(store["lamp"], 1)], email="someone@example.com")
    guest_invoice = invoice_for_order(guest_order)

    other = app.test_client()
    log_in(other, UserFactory(email="olga@example.com").email)
    for ext in ("pdf", "xml"):
        assert other.get(f"/account/invoices/{invoice.number}.{ext}").status_code == 404
        assert other.get(f"/account/invoices/INV-1999-999999.{ext}").status_code == 404
        # a guest's invoice belongs to no account: it is only in the guest's email
        assert client.get(f"/account/invoices/{guest_invoice.number}.{ext}").status_code == 404
    assert invoice.number not in other.get("/account/invoices").get_data(as_text=True)
    listing = client.get("/account/invoices").get_data(as_text=True)
    assert guest_invoice.number not in listing

    visitor = app.test_client()
    for path in ("/account/invoices", f"/account/invoices/{invoice.number}.pdf"):
        response = visitor.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/account/login?next=")


# --- UBL ------------------------------------------------------------------------------------


def test_the_ubl_invoice_is_valid_ubl_and_meets_the_en16931_arithmetic(client, store):
    order, invoice = checkout(client, store, items=[(store["tent"], 1), (store["lamp"], 3)],
                              **QUEBEC)  # fmt: skip
    root = parse_ubl(files.invoice_xml(invoice))
    totals = check_en16931(root)
    assert text(root, "cbc:ID") == invoice.number
    assert text(root, "cbc:DocumentCurrencyCode") == "CAD"
    assert text(root, "cac:OrderReference/cbc:ID") == order.number
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert text(seller, "cac:PartyLegalEntity/cbc:RegistrationName") == LEGAL_NAME
    vat_id = "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID/text()"
    assert seller.xpath(vat_id, namespaces=NS) == ["CA123456789RT0001"]
    qst_id = "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='QST']/cbc:CompanyID/text()"
    assert seller.xpath(qst_id, namespaces=NS) == [QST]
    assert text(seller, "cac:PostalAddress/cbc:CityName") == "Toronto"
    assert text(seller, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "CA"
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName") == "Gail Guest"
    assert text(buyer, "cac:Contact/cbc:ElectronicMail") == "guest@example.com"
    assert root.find(".//cbc:EndpointID", NS) is None  # no address scheme fits an email
    assert text(buyer, "cac:PostalAddress/cbc:CityName") == "Montréal"
    assert text(buyer, "cac:PostalAddress/cbc:CountrySubentity") == "QC"
    assert text(buyer, "cac:PostalAddress/cbc:PostalZone") == "H2X 1Y4"
    # the figures are the stored invoice's, to the cent
    assert totals["lines"] == 2
    assert totals["line_extension"] * 100 == invoice.subtotal == 42250
    assert totals["charge_total"] * 100 == invoice.shipping_total
    assert totals["tax_total"] * 100 == invoice.tax_total
    assert totals["tax_inclusive"] * 100 == totals["prepaid"] * 100 == invoice.total
    assert totals["payable"] == 0
    gst, qst = invoice.taxes
    assert totals["subtotals"] == {
        "GST": (Decimal(5), Decimal(gst.taxable) / 100, Decimal(gst.amount) / 100),
        "QST": (Decimal("9.975"), Decimal(qst.taxable) / 100, Decimal(qst.amount) / 100),
    }
    [shipping] = root.findall("cac:AllowanceCharge", NS)
    assert text(shipping, "cbc:AllowanceChargeReasonCode") == "FC"
    assert text(shipping, "cbc:Amount") == f"{Decimal(invoice.shipping_total) / 100:.2f}"


def test_a_credit_note_renders_with_negative_amounts_and_as_a_ubl_credit_note(client, store):
    order, invoice = checkout(client, store, items=[(store["tent"], 1)])
    note = issue_credit_note(invoice=invoice, reason="Returned unopened.")
    db.session.commit()

    page = pdf_text(files.invoice_pdf(note))
    assert page.count("Credit note") >= 2 and note.number in page
    assert f"Credits invoice {invoice.number}" in page
    assert "Ridge Tent TENT-1 -1 $349.00 Standard rated -$349.00" in page
    [hst] = note.taxes
    assert f"HST 13% {dollars(hst.amount)}" in page and hst.amount < 0
    assert f"Total CAD {dollars(-invoice.total)}" in page

    root = parse_ubl(files.invoice_xml(note))
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    totals = check_en16931(root)
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == (
        invoice.number
    )
    assert (
        totals["tax_inclusive"] * 100 == invoice.total
    )  # a UBL credit note's amounts are positive
    assert text(root, "cac:CreditNoteLine/cbc:CreditedQuantity") == "1"


def test_the_store_logo_from_the_settings_is_drawn_and_the_words_stay(app, client, store):
    from pathlib import Path

    from PIL import Image

    _, invoice = checkout(client, store, items=[(store["lamp"], 1)])
    plain = files.invoice_pdf(invoice)
    folder = Path(app.instance_path) / "images"
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (400, 120), (30, 90, 40)).save(folder / "logo-test.png")
    settings = store_settings()
    settings.logo_filename = "logo-test.png"
    with_logo = files.invoice_pdf(invoice)
    assert len(with_logo) > len(plain) + 500  # the image is in it
    assert pdf_text(with_logo) == pdf_text(plain)
    assert render_invoice(invoice, locale="en_CA", logo_path=folder / "logo-test.png")
    # A logo kept before sizes existed: its printed size is drawn (and kept) when first asked.
    assert (folder / "logo-test.product.webp").is_file()
    assert Image.open(folder / "logo-test.product.webp").size == (400, 120)
    settings.logo_filename = "../secret_key"  # only files under instance/images/ are read
    assert files.logo_data(settings) is None
    assert files.invoice_pdf(invoice) == plain


# --- the back office --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.OWNER, roles.BOOKKEEPER, roles.SALES])
def test_staff_download_any_invoice(app, client, store, staff, role):
    _, invoice = checkout(client, store, items=[(store["lamp"], 1)])
    desk = app.test_client()
    log_in(desk, staff[role].email)
    response = desk.get(f"/admin/invoices/{invoice.number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert invoice.number in pdf_text(response.data)
    response = desk.get(f"/admin/invoices/{invoice.number}.xml")
    assert text(parse_ubl(response.data), "cbc:ID") == invoice.number
    assert desk.get("/admin/invoices/INV-1999-000001.pdf").status_code == 404
    assert desk.get(f"/admin/invoices/{'9' * 40}.xml").status_code == 404


def test_the_warehouse_may_not_download_invoices(app, client, store, staff):
    _, invoice = checkout(client, store, items=[(store["lamp"], 1)])
    desk = app.test_client()
    log_in(desk, staff[roles.WAREHOUSE].email)
    assert desk.get(f"/admin/invoices/{invoice.number}.pdf").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 1
