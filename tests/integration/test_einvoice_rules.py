"""The official EN 16931 rules on the store's UBL invoices and credit notes, for every
province and every mix of tax classes.

Single-component destinations (the HST provinces; the GST-only provinces and
territories) must give no fatal error at all. Two-component ones (GST + PST or
QST) cannot meet BR-S-08 under EN 16931 (one VAT rate per line), so they must
give that error and no other.
"""

from decimal import Decimal

import pytest
from lxml import etree

from shop.billing import files
from shop.billing.services import invoice_for_order, issue_credit_note
from shop.cart.models import Cart, CartLine
from shop.extensions import db
from shop.orders import services as orders
from shop.store_details.services import store_settings
from shop.tax.data import CANADA_STANDARD_RATES
from tests.factories import ProductFactory, VariantFactory
from tests.integration.books_helpers import ADDRESSES, pay, regular_service_id
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.en16931_rules import fatal, fatal_rules, peppol_endpoint_schemes
from tests.integration.invoice_checks import NS, check_en16931, parse_ubl, text

PROVINCES = sorted(CANADA_STANDARD_RATES)
TWO_COMPONENTS = {p for p, rates in CANADA_STANDARD_RATES.items() if len(rates) > 1}
ADDRESSES_EVERYWHERE = {**ADDRESSES, "NT": ("Yellowknife", "X1A 2L9")}

# Each mix: (variant key, quantity) lines.
MIXES = {
    "standard": [("tent", 1), ("lamp", 2)],
    "zero-rated": [("coffee", 3)],
    "standard and zero-rated": [("lamp", 1), ("coffee", 2)],
    "book": [("book", 1)],
    "children's jacket": [("jacket", 1)],
    "everything": [("lamp", 1), ("coffee", 1), ("book", 2), ("jacket", 1)],
}


@pytest.fixture
def goods(app):
    classes = seed_reference_data()
    settings = store_settings()  # what the rules need of the seller: its tax numbers
    settings.email = "shop@example.com"
    settings.gst_hst_number, settings.qst_number = "123456789 RT0001", "1234567890 TQ0001"

    def variant(name, sku, price, tax_class):
        return VariantFactory(
            product=ProductFactory(name=name), sku=sku, price=price,
            tax_class=classes[tax_class], weight_g=400, length_mm=200, width_mm=150,
            height_mm=50, stock=100,
        )  # fmt: skip

    made = {
        "tent": variant("Ridge Tent", "TENT-1", 34900, "standard"),
        "lamp": variant("Camp Lamp", "LAMP-7", 2450, "standard"),
        "coffee": variant("Dark Roast Coffee, 340 g", "CF-DARK", 1699, "zero-rated"),
        "book": variant("Mushrooms of Canada Field Guide", "BK-MUSH", 3495, "printed-books"),
        "jacket": variant("Puddle Jumper Rain Jacket", "KJ-PUD", 6900, "childrens-clothing"),
    }
    db.session.commit()
    return made


def paid_invoice(goods, mix: str, province: str, **names):
    """An order of the mix shipped to the province, placed and paid through the services."""
    city, postal_code = ADDRESSES_EVERYWHERE[province]
    cart = Cart(lines=[CartLine(variant_id=goods[k].id, quantity=q) for k, q in MIXES[mix]])
    db.session.add(cart)
    db.session.flush()
    address = {
        "full_name": "Bea Buyer", "company": None, "line1": "1 Main St", "line2": None,
        "city": city, "province": province, "postal_code": postal_code, "country": "CA",
        "phone": None, **names,
    }  # fmt: skip
    request = orders.CheckoutRequest("buyer@example.com", address, regular_service_id(),
                                     "ship_complete")  # fmt: skip
    priced = orders.price_checkout(cart=cart, request=request)
    order = orders.place_order(
        cart=cart, user=None, request=request, provider="demo",
        reviewed=orders.review_fingerprint(cart=cart, request=request, priced=priced),
    )  # fmt: skip
    pay(order)
    db.session.commit()
    return invoice_for_order(order)


def charges_two_components(invoice) -> bool:
    """Whether a line or the shipping pays two components at once (GST + PST or QST)."""
    components = {t.component for t in invoice.taxes}
    return len(components) > 1 and any(
        line.tax_rate > max(t.rate for t in invoice.taxes) for line in invoice.lines
    )


@pytest.mark.parametrize("mix", sorted(MIXES))
@pytest.mark.parametrize("province", PROVINCES)
def test_invoices_and_credit_notes_of_every_province_meet_the_official_rules(goods, province, mix):
    invoice = paid_invoice(goods, mix, province)
    note = issue_credit_note(invoice=invoice, reason="Returned.")
    db.session.commit()
    for document in (invoice, note):
        xml = files.invoice_xml(document)
        check_en16931(parse_ubl(xml))
        if province in TWO_COMPONENTS and charges_two_components(invoice):
            assert fatal_rules(xml) == {"BR-S-08"}, fatal(xml)
        else:
            assert fatal(xml) == [], (document.number, province, mix)


def test_each_line_and_shipping_share_carries_its_own_category(goods):
    """Groceries and a lamp to Ontario: the coffee is Z at 0, the lamp S at 13, and the
    shipping is two charges split as the invoice's HST was (BR-S-08 failed here)."""
    invoice = paid_invoice(goods, "standard and zero-rated", "ON")
    xml = files.invoice_xml(invoice)
    root = parse_ubl(xml)
    assert fatal(xml) == []
    categories = {
        text(line, "cac:Item/cac:SellersItemIdentification/cbc:ID"): (
            text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
            text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        )
        for line in root.iterfind("cac:InvoiceLine", NS)
    }
    assert categories == {"LAMP-7": ("S", "13"), "CF-DARK": ("Z", "0")}
    charges = {
        text(c, "cac:TaxCategory/cbc:ID"): Decimal(text(c, "cbc:Amount"))
        for c in root.iterfind("cac:AllowanceCharge", NS)
    }
    [hst] = invoice.taxes
    assert charges["S"] * 100 == hst.taxable - 2450  # the lamp's share of the shipping
    assert (charges["S"] + charges["Z"]) * 100 == invoice.shipping_total


def test_no_endpoint_uses_a_scheme_peppol_leaves_out(goods):
    """The email scheme EM is not in Peppol's list (PEPPOL-EN16931-CL008)."""
    xml = files.invoice_xml(paid_invoice(goods, "standard", "AB"))
    root = etree.fromstring(xml)
    schemes = [e.get("schemeID") for e in root.iterfind(".//cbc:EndpointID", NS)]
    assert "EM" not in schemes
    assert set(schemes) <= peppol_endpoint_schemes()
    # the emails are still on the invoice, as the parties' contacts
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert text(buyer, "cac:Contact/cbc:ElectronicMail") == "buyer@example.com"
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert text(seller, "cac:Contact/cbc:ElectronicMail") == "shop@example.com"
