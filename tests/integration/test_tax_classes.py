"""Tax classes that match Canadian law: printed books and children's clothing pay only
the part of the tax the province does not relieve (shop/tax/data.py has the sources)."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.accounting.chart import tax_role
from shop.billing import files
from shop.billing.services import invoice_for_order
from shop.demo import ITEMS
from shop.extensions import db
from shop.tax.calculations import round_half_up
from shop.tax.data import CANADA_STANDARD_RATES
from shop.tax.models import TaxClass, TaxRate
from tests.factories import ProductFactory, VariantFactory
from tests.integration.books_helpers import ADDRESSES, balances
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.invoice_checks import dollars, pdf_text
from tests.integration.order_helpers import buy


def demo_variant(code: str, classes):
    """A variant of the demo catalogue's item, in the tax class the demo gives it."""
    item = next(i for i in ITEMS if i.code == code)
    return VariantFactory(
        product=ProductFactory(name=item.name), sku=item.code, price=item.price,
        tax_class=classes[item.tax], weight_g=item.weight_g, length_mm=item.dims_mm[0],
        width_mm=item.dims_mm[1], height_mm=item.dims_mm[2], stock=10,
    )  # fmt: skip


def bought(app, variant, province):
    city, postal_code = ADDRESSES[province]
    order = buy(app, [(variant, 1)], city=city, province=province, postal_code=postal_code)
    assert order.status == "paid"
    return order


def standard_tax(order) -> int:
    """What the order would have paid at the standard rates of its province."""
    base = Decimal(order.subtotal + order.shipping_total)
    return sum(round_half_up(base * rate) for _, rate in CANADA_STANDARD_RATES[order.ship_province])


@pytest.fixture
def classes(app):
    return seed_reference_data()


def test_a_field_guide_to_british_columbia_pays_gst_only(app, classes):
    """BC Bulletin PST 205: books are exempt from PST, and so is their delivery. It was
    charged 7% PST on $34.95 and $22.99 of regular shipping: $4.06."""
    order = bought(app, demo_variant("BK-MUSH", classes), "BC")
    base = order.subtotal + order.shipping_total
    assert [(t.component, t.rate, t.taxable) for t in order.taxes] == [
        ("GST", Decimal("0.05"), base)
    ]
    assert order.tax_total == round_half_up(Decimal(base) * Decimal("0.05"))
    assert standard_tax(order) - order.tax_total == 406  # the PST it no longer pays
    [line] = invoice_for_order(order).lines
    assert line.tax_class_name == "Printed books"


def test_a_cookbook_to_ontario_pays_the_federal_part_of_the_hst(app, classes):
    """GI-065: the 8% provincial part of the HST is rebated at the till. It paid 8% of
    $32.00 and $12.09 of regular shipping too much: $3.53."""
    order = bought(app, demo_variant("BK-CCK", classes), "ON")
    base = order.subtotal + order.shipping_total
    [hst] = order.taxes
    assert (hst.component, hst.rate, hst.taxable) == ("HST", Decimal("0.05"), base)
    assert hst.label == "HST 5%"
    assert standard_tax(order) - order.tax_total == 353
    # the invoice names the class and the rate; the books owe it as HST
    page = pdf_text(files.invoice_pdf(invoice_for_order(order)))
    assert "Printed books" in page and f"HST 5% {dollars(hst.amount)}" in page
    assert balances()[tax_role("HST")] == -hst.amount


@pytest.mark.parametrize(
    ("province", "components"),
    [
        ("ON", [("HST", "0.05")]),  # GI-063
        ("NS", [("HST", "0.05")]),
        ("PE", [("HST", "0.05")]),
        ("NB", [("HST", "0.15")]),  # no rebate on children's goods
        ("NL", [("HST", "0.15")]),
        ("BC", [("GST", "0.05")]),  # Bulletin PST 201
        ("MB", [("GST", "0.05")]),  # RST Bulletin 001, $150 or less
        ("SK", [("GST", "0.05"), ("PST", "0.06")]),  # exemption ended 1 April 2017
        ("QC", [("GST", "0.05"), ("QST", "0.09975")]),
        ("AB", [("GST", "0.05")]),
    ],
)
def test_a_childs_jacket_pays_what_its_province_charges(app, classes, province, components):
    order = bought(app, demo_variant("KJ-PUD", classes), province)
    assert [(t.component, str(t.rate)) for t in order.taxes] == [
        (c, str(Decimal(r).quantize(Decimal("0.00001")))) for c, r in components
    ]


def test_a_mixed_order_shares_shipping_over_its_rates(app, classes):
    """A lamp (HST 13%) and a book (HST 5%) to Ontario: two HST lines, shipping shared
    in proportion to the goods, and every cent of the shipping taxed once."""
    lamp = VariantFactory(
        product=ProductFactory(name="Camp Lamp"), sku="LAMP-1", price=4500,
        tax_class=classes["standard"], weight_g=300, stock=5,
    )  # fmt: skip
    book = demo_variant("BK-BIRD", classes)
    city, postal_code = ADDRESSES["ON"]
    order = buy(app, [(lamp, 1), (book, 1)], city=city, province="ON", postal_code=postal_code)
    standard, relieved = order.taxes
    assert (standard.label, relieved.label) == ("HST 13%", "HST 5%")
    assert standard.taxable + relieved.taxable == order.subtotal + order.shipping_total
    assert order.shipping_total > 0
    assert standard.taxable - 4500 > relieved.taxable - 2995 > 0


def test_every_class_has_its_rates_in_every_province(app, classes):
    counts = dict(
        db.session.execute(
            sa.select(TaxClass.code, sa.func.count(sa.distinct(TaxRate.province)))
            .join(TaxRate, TaxRate.tax_class_id == TaxClass.id)
            .group_by(TaxClass.code)
        ).all()
    )
    assert counts == {"standard": 13, "printed-books": 13, "childrens-clothing": 13}
