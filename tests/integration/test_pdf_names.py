"""Every Canadian name prints: Polish letters, French accents and Inuktitut syllabics on the
invoice, the packing slip, the label, the pick list and the purchase order, read back as
text with pypdf, in an embedded font (never a base font that knows Latin-1 only)."""

import io

import pytest
from pypdf import PdfReader

from shop.billing import files
from shop.billing.services import invoice_for_order
from shop.catalogue.models import Variant
from shop.documents.invoice import render_invoice
from shop.documents.label import render_label
from shop.documents.packing_slip import render_packing_slip
from shop.documents.pick_list import render_pick_list
from shop.documents.purchase_order import render_purchase_order
from shop.extensions import db
from shop.fulfilment.printing import bin_locations, shipments_by_order
from shop.store_details.services import store_settings
from tests.factories import ProductFactory, SupplierFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.document_helpers import make_purchase_order, make_shipment
from tests.integration.invoice_checks import pdf_text
from tests.integration.order_helpers import buy

POLISH = "Łukasz Wiśniewski"
SYLLABICS = "ᐃᓄᒃᑎᑐᑦ ᐅᖃᐅᓯᖅ 5"  # Inuktitut, the language, and its word
FRENCH = "Hélène Côté"
LOCALE = "en_CA"


@pytest.fixture
def order(app):
    classes = seed_reference_data()
    lamp = VariantFactory(
        product=ProductFactory(name="Lampe de camping Écolo"), sku="LAMP-1", price=2450,
        tax_class=classes["standard"], stock=9, stock__bin_location="B-02",
    )  # fmt: skip
    db.session.commit()
    placed = buy(
        app, [(lamp, 2)], email="lukasz@example.com", full_name=POLISH, company=FRENCH,
        line1="1 Queen St", line2=SYLLABICS, city="Iqaluit", province="NU",
        postal_code="X0A 0H0",
    )  # fmt: skip
    assert placed.status == "paid" and placed.ship_full_name == POLISH
    return placed


def fonts_of(data: bytes) -> dict[str, bool]:
    """Each font the PDF uses: its name, and whether its glyphs are embedded."""
    found = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            found[str(font["/BaseFont"]).split("+")[-1]] = embedded
    return found


def assert_prints_every_name(data: bytes, *names: str) -> None:
    text = pdf_text(data)
    for name in names:
        assert name in text, name
    assert "■" not in text
    fonts = fonts_of(data)
    assert fonts and all(fonts.values()), fonts  # every font embedded
    assert set(fonts) <= {"DejaVuSans", "DejaVuSans-Bold"}, fonts


def test_the_invoice_prints_polish_french_and_inuktitut_names(order):
    invoice = invoice_for_order(order)
    assert_prints_every_name(files.invoice_pdf(invoice), POLISH, FRENCH, SYLLABICS,
                             "Lampe de camping Écolo")  # fmt: skip


def test_the_packing_slip_and_the_label_print_them_too(order):
    line = order.lines[0]
    shipment = make_shipment(
        order, [(line, 2)], number="SH-2001", tracking="1Z999AA10123456784",
        parcels=[("Small", 200, 150, 100, 900)],
    )  # fmt: skip
    settings = store_settings()
    history = shipments_by_order([shipment.order_id])
    slip = render_packing_slip(shipment, settings=settings, locale=LOCALE, order_shipments=history)
    assert_prints_every_name(slip, POLISH, FRENCH, SYLLABICS, "Lampe de camping Écolo")
    label = render_label(shipment, settings=settings, locale=LOCALE)
    assert_prints_every_name(label, POLISH, FRENCH, SYLLABICS)


def test_the_pick_list_and_the_purchase_order_use_the_same_font(order):
    bins = bin_locations(line.variant_id for line in order.lines)
    pick_list = render_pick_list([order], bins=bins, locale=LOCALE)
    assert_prints_every_name(pick_list, "Lampe de camping Écolo")
    supplier = SupplierFactory(name="Fournitures Côté & Wiśniewski", contact_name=FRENCH)
    lamp = db.session.get(Variant, order.lines[0].variant_id)
    po = make_purchase_order(supplier, [(lamp, 4, 1200)])
    assert_prints_every_name(
        render_purchase_order(po, settings=store_settings(), locale=LOCALE),
        "Fournitures Côté & Wiśniewski", FRENCH,
    )  # fmt: skip


def test_french_formats_still_print(order):
    """fr_CA writes money with a narrow no-break space; accents and figures come out whole."""
    invoice = invoice_for_order(order)
    text = pdf_text(render_invoice(invoice, locale="fr_CA"))
    assert "Lampe de camping Écolo" in text and FRENCH in text
    assert "24,50 $" in text.replace("\u00a0", " ")
