"""The owner edits tax classes and rates; the bookkeeper reads them; checkout taxes from them."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.extensions import db
from shop.tax.data import TAX_CLASSES
from shop.tax.models import TaxClass, TaxRate
from shop.tax.services import save_tax_rate
from tests.conftest import log_in
from tests.factories import ProductFactory, VariantFactory
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.checkout_helpers import choose_delivery, fill_address, seed_reference_data
from tests.integration.order_helpers import service_id


@pytest.fixture
def classes(app):
    return seed_reference_data()


@pytest.fixture
def mug(classes):
    return VariantFactory(
        product=ProductFactory(name="Enamel Mug"), sku="MUG-1", price=2500,
        tax_class=classes["standard"], stock=20,
    )  # fmt: skip


@pytest.fixture
def owner(app, client, staff):
    log_in(client, staff[roles.OWNER].email)
    return client


def rate_of(province: str, component: str, class_code: str = "standard") -> TaxRate | None:
    return db.session.scalar(
        sa.select(TaxRate)
        .join(TaxClass)
        .where(
            TaxRate.country == "CA",
            TaxRate.province == province,
            TaxRate.component == component,
            TaxClass.code == class_code,
        )
    )


def all_rates() -> list[tuple]:
    return [
        tuple(r)
        for r in db.session.execute(
            sa.select(
                TaxRate.country, TaxRate.province, TaxRate.tax_class_id, TaxRate.component,
                TaxRate.rate,
            ).order_by(TaxRate.id)
        )
    ]  # fmt: skip


def review_taxes(app, variant, **address) -> list[str]:
    """The tax lines of the review page, e.g. ['HST 13%'], for one unit of the variant."""
    customer = app.test_client()
    customer.post("/cart/add", data={"variant_id": str(variant.id), "quantity": "1"})
    fill_address(customer, **address)
    page = choose_delivery(customer, service_id("regular")).get_data(as_text=True)
    assert "Review your order" in page
    return re.findall(r"\b((?:GST|HST|PST|QST) [0-9.]+%)", page)


def rate_form(tax_rate: TaxRate, **changes) -> dict:
    data = {
        "country": tax_rate.country,
        "province": tax_rate.province,
        "tax_class_id": str(tax_rate.tax_class_id),
        "component": tax_rate.component,
        "rate": f"{(tax_rate.rate * 100).normalize():f}",
    }
    data.update(changes)
    return data


def test_editing_a_rate_changes_the_tax_on_the_review_page(app, owner, mug):
    assert "HST 13%" in review_taxes(app, mug)
    hst = rate_of("ON", "HST")
    page = text_of(owner.get(f"/admin/tax/rates/{hst.id}"))
    assert 'name="rate" required type="text" value="13"' in page
    response = owner.post(
        f"/admin/tax/rates/{hst.id}", data=rate_form(hst, rate="13.5"), follow_redirects=True
    )
    assert "HST for ON (CA) saved: 13.5%." in flashes(text_of(response))
    db.session.refresh(hst)
    assert hst.rate == Decimal("0.135")
    taxes = review_taxes(app, mug)
    assert "HST 13.5%" in taxes and "HST 13%" not in taxes


def test_a_rate_is_entered_as_a_percentage_and_kept_as_an_exact_decimal(app, owner, mug, classes):
    response = owner.post(
        "/admin/tax/rates/new",
        data={
            "country": "ca", "province": "on", "tax_class_id": str(classes["standard"].id),
            "component": "PST", "rate": "9.975",
        },
    )  # fmt: skip
    assert response.status_code == 302
    pst = rate_of("ON", "PST")
    assert isinstance(pst.rate, Decimal) and pst.rate == Decimal("0.09975")
    assert review_taxes(app, mug)[:2] == ["HST 13%", "PST 9.975%"]
    page = text_of(owner.get("/admin/tax"))
    assert "9.975%" in page


@pytest.mark.parametrize(
    "rate,message",
    [
        ("abc", "Enter a percentage, like 9.975."),
        ("-1", "Enter a percentage from 0 to 100."),
        ("100.5", "Enter a percentage from 0 to 100."),
        ("250", "Enter a percentage from 0 to 100."),
        ("9.9755", "Use at most 3 decimal places, like 9.975."),
        ("1e2", "Enter a percentage, like 9.975."),
        ("NaN", "Enter a percentage, like 9.975."),
        ("", "Enter the rate, like 9.975."),
    ],
)
def test_a_bad_rate_is_refused_beside_the_field_and_nothing_changes(owner, mug, rate, message):
    hst = rate_of("ON", "HST")
    before = all_rates()
    response = owner.post(f"/admin/tax/rates/{hst.id}", data=rate_form(hst, rate=rate))
    assert response.status_code == 422
    assert errors_beside(text_of(response), "rate") == [message]
    assert all_rates() == before


def test_a_duplicate_rate_is_refused_and_nothing_changes(owner, mug, classes):
    before = all_rates()
    response = owner.post(
        "/admin/tax/rates/new",
        data={
            "country": "CA", "province": "QC", "tax_class_id": str(classes["standard"].id),
            "component": "QST", "rate": "10",
        },
    )  # fmt: skip
    assert response.status_code == 422
    assert errors_beside(text_of(response), "component") == [
        "QC (CA) already has a QST rate for this tax class; edit that one instead."
    ]
    # Changing an existing rate into another existing one is refused the same way.
    gst = rate_of("QC", "GST")
    response = owner.post(f"/admin/tax/rates/{gst.id}", data=rate_form(gst, component="QST"))
    assert response.status_code == 422
    assert errors_beside(text_of(response), "component") == [
        "QC (CA) already has a QST rate for this tax class; edit that one instead."
    ]
    assert all_rates() == before


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("component", "VAT", "Choose a tax component from the list."),
        ("tax_class_id", "99999", "Choose a tax class from the list."),
        ("province", "", "Enter a province code, like ON."),
        ("province", "O-N", "Enter a province code, like ON."),
        ("country", "C", "Enter a two-letter country code, like CA."),
    ],
)
def test_bad_rate_fields_are_refused(owner, mug, field, value, message):
    hst = rate_of("ON", "HST")
    before = all_rates()
    response = owner.post(f"/admin/tax/rates/{hst.id}", data=rate_form(hst, **{field: value}))
    assert response.status_code == 422
    assert errors_beside(text_of(response), field) == [message]
    assert all_rates() == before


def test_deleting_a_rate_stops_charging_it(app, owner, mug):
    pst = rate_of("BC", "PST")
    bc = {"city": "Vancouver", "province": "BC", "postal_code": "V6B 1A1"}
    assert review_taxes(app, mug, **bc)[:2] == ["GST 5%", "PST 7%"]
    response = owner.post(f"/admin/tax/rates/{pst.id}/delete", follow_redirects=True)
    assert "PST for BC (CA) removed." in flashes(text_of(response))
    assert rate_of("BC", "PST") is None
    assert "PST 7%" not in review_taxes(app, mug, **bc)


def test_the_rates_page_groups_by_province(owner, mug):
    page = text_of(owner.get("/admin/tax"))
    qc = page[page.index('id="tax-CA-QC"') : page.index('id="tax-CA-SK"')]
    # by class (children's clothing, printed books, standard), then in invoice order
    assert re.findall(r"<td>(GST|HST|PST|QST)</td>", qc) == ["GST", "QST", "GST", "GST", "QST"]
    assert "9.975%" in qc and "5%" in qc


def test_tax_classes_are_listed_and_created(owner, classes):
    response = owner.post("/admin/tax/classes/new", data={"name": "Children's car seats"})
    page = text_of(owner.get(response.headers["Location"]))
    new = db.session.scalar(sa.select(TaxClass).where(TaxClass.name == "Children's car seats"))
    assert new.code == "children-s-car-seats"
    assert "Children's car seats" in page and "Standard rated" in page
    response = owner.post("/admin/tax/classes/new", data={"name": "standard RATED"})
    assert response.status_code == 422
    assert errors_beside(text_of(response), "name") == [
        "There is already a tax class with this name."
    ]
    assert db.session.scalar(sa.select(sa.func.count(TaxClass.id))) == len(TAX_CLASSES) + 1


def test_the_bookkeeper_reads_rates_but_cannot_change_them(app, staff, mug):
    client = app.test_client()
    log_in(client, staff[roles.BOOKKEEPER].email)
    page = text_of(client.get("/admin/tax"))
    assert "13%" in page and "New tax rate" not in page and "Delete" not in page
    assert 'href="/admin/tax"' in page
    hst = rate_of("ON", "HST")
    assert (
        client.post(f"/admin/tax/rates/{hst.id}", data=rate_form(hst, rate="20")).status_code == 403
    )
    assert client.post(f"/admin/tax/rates/{hst.id}/delete").status_code == 403
    assert "New tax class" not in text_of(client.get("/admin/tax/classes"))
    db.session.refresh(hst)
    assert hst.rate == Decimal("0.13")


def test_a_float_rate_never_reaches_the_table(app, classes):
    with pytest.raises(TypeError):
        save_tax_rate(
            country="CA", province="ON", tax_class_id=classes["standard"].id, component="PST",
            rate=0.08,
        )  # fmt: skip
