"""An issued invoice as a UBL 2.1 document in the Peppol BIS Billing 3.0 (EN 16931) shape.

An invoice becomes a UBL <Invoice> (type code 380), a credit note a UBL
<CreditNote> (type code 381) that names the invoice it credits. UBL credit
notes carry positive amounts (the document type says they are credits), so the
negative figures of a stored credit note are written without their sign.

How the store's data maps onto EN 16931:

- Amounts are the stored minor units as decimals with the currency's places
  (shop.money.to_decimal), never floats.
- The shipping charge is a document-level charge (<cac:AllowanceCharge> with
  ChargeIndicator true, reason code FC "freight service"), not an invoice line:
  so the lines' net amounts add up to LineExtensionAmount, and
  TaxExclusiveAmount = LineExtensionAmount + ChargeTotalAmount.
- Canada's sales taxes: each component of the invoice (GST, HST, PST, QST) at
  each rate is its own <cac:TaxSubtotal> with its stored taxable amount, tax
  amount and rate, category S and the component's name; zero-rated goods (and
  their share of shipping) are one subtotal of category Z at 0. Each line is
  classified with the rate its own goods paid (InvoiceLine.tax_rate): S 13 for
  HST 13%, S 5 for a book's HST less its rebated provincial part, Z 0 for
  groceries. The shipping charge is one charge per rate, shared over the goods
  of each rate as the invoice's tax was (shop.tax.calculations.shipping_shares).
  So an invoice to an HST province or a GST-only one meets every EN 16931 rule.
- EN 16931 allows one VAT rate per line, and Canada stacks GST with PST or QST:
  a line to BC, MB, SK or QC is classified with the combined rate (14.975 for
  GST + QST) while the breakdown has one subtotal per component, so such an
  invoice breaks BR-S-08 (the subtotal of a rate equals the lines of that rate)
  and that rule only. No mapping can satisfy it; the per-component subtotals
  are the authoritative breakdown.
- The seller's GST/HST number is its VAT identifier (CA prefix, no spaces), a
  QST number its second tax registration. The parties have no electronic
  address (BT-34, BT-49, optional in EN 16931): an email is not an address
  scheme Peppol routes (its list leaves out "EM"), and neither the store nor a
  consumer has a Peppol participant identifier. The emails are in the contacts.
- The invoice is paid when issued: PrepaidAmount is the total and
  PayableAmount is zero.
"""

import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale

from shop.billing.models import CREDIT_NOTE
from shop.money import to_decimal
from shop.tax.calculations import shipping_shares

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_TYPE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE_TYPE = "381"  # UNTDID 1001: credit note
UNIT = "C62"  # UN/ECE rec. 20: one (a unit)
PAID_BY_CARD = "48"  # UNTDID 4461: bank card
FREIGHT = "FC"  # UNTDID 7161: freight service
DISCOUNT = "95"  # UNTDID 5189: discount

ET.register_namespace("cac", NS_CAC)
ET.register_namespace("cbc", NS_CBC)


def invoice_ubl(
    invoice,
    settings,
    *,
    timezone: str = "UTC",
    order_number: str = "",
    credited_number: str = "",
) -> bytes:
    """The UBL 2.1 XML of a stored invoice or credit note, UTF-8 bytes with a declaration.

    settings (the store's) adds what the invoice does not freeze: the seller's email
    and phone. timezone is the store's, for the issue date; order_number and, for a
    credit note, credited_number are the documents it refers to.
    """
    return _Writer(invoice, settings, ZoneInfo(timezone)).document(order_number, credited_number)


class _Writer:
    def __init__(self, invoice, settings, zone: ZoneInfo):
        self.invoice = invoice
        self.settings = settings
        self.zone = zone
        self.credit = invoice.kind == CREDIT_NOTE
        self.sign = -1 if self.credit else 1

    # --- values -------------------------------------------------------------------

    def amount(self, parent, tag: str, minor: int) -> ET.Element:
        """An amount element: the stored minor units as a decimal, sign as UBL wants it."""
        element = cbc(parent, tag, str(to_decimal(self.sign * minor, self.invoice.currency)))
        element.set("currencyID", self.invoice.currency)
        return element

    def day(self, value: datetime) -> str:
        return value.astimezone(self.zone).date().isoformat()

    def tax_category(self, parent, tag: str, rate: Decimal) -> None:
        """The EN 16931 category of a line or of a shipping charge: S at its rate, or Z."""
        category = cac(parent, tag)
        cbc(category, "ID", "S" if rate else "Z")
        cbc(category, "Percent", percent(rate * 100))
        cbc(cac(category, "TaxScheme"), "ID", "VAT")

    def shipping_by_rate(self) -> dict[Decimal, int]:
        """The shipping charge shared over the lines' rates as the tax calculation shared
        it; in the document's own sign (a credit note's figures are negative)."""
        goods: dict[Decimal, int] = {}
        for line in self.invoice.lines:
            rate = Decimal(line.tax_rate)
            goods[rate] = goods.get(rate, 0) + self.sign * line.line_total
        shares = shipping_shares(goods, self.sign * self.invoice.shipping_total)
        return {rate: self.sign * share for rate, share in shares.items() if share}

    def zero_rated_total(self) -> int:
        """The zero-rated goods and their share of shipping, in the document's sign."""
        goods = sum(line.line_total for line in self.invoice.lines if not line.tax_rate)
        return goods + self.shipping_by_rate().get(Decimal(0), 0)

    # --- the document -----------------------------------------------------------------

    def document(self, order_number: str, credited_number: str) -> bytes:
        invoice = self.invoice
        # The document's namespace is the default one, as UBL is written: ElementTree has no
        # default namespace for one element, so the root declares it itself.
        namespace = NS_CREDIT_NOTE if self.credit else NS_INVOICE
        root = ET.Element("CreditNote" if self.credit else "Invoice", xmlns=namespace)
        cbc(root, "CustomizationID", CUSTOMIZATION_ID)
        cbc(root, "ProfileID", PROFILE_ID)
        cbc(root, "ID", invoice.number)
        cbc(root, "IssueDate", self.day(invoice.issued_at))
        if self.credit:
            cbc(root, "CreditNoteTypeCode", CREDIT_NOTE_TYPE)
        else:
            cbc(root, "InvoiceTypeCode", INVOICE_TYPE)
        if invoice.footer:
            cbc(root, "Note", " ".join(invoice.footer.split()))
        cbc(root, "DocumentCurrencyCode", invoice.currency)
        if order_number:
            cbc(cac(root, "OrderReference"), "ID", order_number)
        if credited_number:
            reference = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
            cbc(reference, "ID", credited_number)
        self.supplier(root)
        self.customer(root)
        self.delivery(root)
        self.payment_means(root)
        for rate, share in self.shipping_by_rate().items():
            self.shipping_charge(root, share, rate)
        self.tax_total(root)
        self.monetary_total(root)
        for line in invoice.lines:
            self.line(root, line)
        ET.indent(root)
        return ET.tostring(root, encoding="UTF-8", xml_declaration=True)

    def supplier(self, root) -> None:
        invoice, settings = self.invoice, self.settings
        party = cac(cac(root, "AccountingSupplierParty"), "Party")
        cbc(cac(party, "PartyName"), "Name", invoice.seller_name)
        address_lines = lines_of(invoice.seller_address)
        postal_address(party, address_lines, country_of(address_lines, default="CA"))
        numbers = tax_numbers(invoice.seller_tax_numbers)
        if numbers.get("GST/HST"):
            scheme = cac(party, "PartyTaxScheme")
            cbc(scheme, "CompanyID", "CA" + numbers["GST/HST"].replace(" ", ""))
            cbc(cac(scheme, "TaxScheme"), "ID", "VAT")
        if numbers.get("QST"):
            scheme = cac(party, "PartyTaxScheme")
            cbc(scheme, "CompanyID", numbers["QST"])
            cbc(cac(scheme, "TaxScheme"), "ID", "QST")
        cbc(cac(party, "PartyLegalEntity"), "RegistrationName", invoice.seller_name)
        if settings.phone or settings.email:
            contact = cac(party, "Contact")
            if settings.phone:
                cbc(contact, "Telephone", settings.phone)
            if settings.email:
                cbc(contact, "ElectronicMail", settings.email)

    def customer(self, root) -> None:
        invoice = self.invoice
        party = cac(cac(root, "AccountingCustomerParty"), "Party")
        address_lines = lines_of(invoice.bill_to)
        name = address_lines[0] if address_lines else invoice.customer_email
        cbc(cac(party, "PartyName"), "Name", name)
        postal_address(party, address_lines[1:], invoice.ship_country)
        cbc(cac(party, "PartyLegalEntity"), "RegistrationName", name)
        cbc(cac(party, "Contact"), "ElectronicMail", invoice.customer_email)

    def delivery(self, root) -> None:
        address_lines = lines_of(self.invoice.ship_to)
        if not address_lines:
            return
        delivery = cac(root, "Delivery")
        location = cac(delivery, "DeliveryLocation")
        postal_address(location, address_lines[1:], self.invoice.ship_country, tag="Address")
        cbc(cac(cac(delivery, "DeliveryParty"), "PartyName"), "Name", address_lines[0])

    def payment_means(self, root) -> None:
        if self.invoice.total == 0:  # nothing was paid, by card or otherwise
            return
        means = cac(root, "PaymentMeans")
        code = cbc(means, "PaymentMeansCode", PAID_BY_CARD)
        if self.invoice.payment_method:
            code.set("name", self.invoice.payment_method)

    def shipping_charge(self, root, amount: int, rate: Decimal) -> None:
        invoice = self.invoice
        charge = cac(root, "AllowanceCharge")
        cbc(charge, "ChargeIndicator", "true")
        cbc(charge, "AllowanceChargeReasonCode", FREIGHT)
        reason = "Shipping"
        if invoice.shipping_description:
            reason += f" ({invoice.shipping_description})"
        cbc(charge, "AllowanceChargeReason", reason)
        self.amount(charge, "Amount", amount)
        self.tax_category(charge, "TaxCategory", rate)

    def tax_total(self, root) -> None:
        invoice = self.invoice
        total = cac(root, "TaxTotal")
        self.amount(total, "TaxAmount", invoice.tax_total)
        for tax in invoice.taxes:
            subtotal = cac(total, "TaxSubtotal")
            self.amount(subtotal, "TaxableAmount", tax.taxable)
            self.amount(subtotal, "TaxAmount", tax.amount)
            category = cac(subtotal, "TaxCategory")
            cbc(category, "ID", "S")
            cbc(category, "Name", tax.component)
            cbc(category, "Percent", percent(tax.rate * 100))
            cbc(cac(category, "TaxScheme"), "ID", "VAT")
        if any(not line.tax_rate for line in invoice.lines):  # the zero-rated goods
            subtotal = cac(total, "TaxSubtotal")
            self.amount(subtotal, "TaxableAmount", self.zero_rated_total())
            self.amount(subtotal, "TaxAmount", 0)
            category = cac(subtotal, "TaxCategory")
            cbc(category, "ID", "Z")
            cbc(category, "Percent", "0")
            cbc(cac(category, "TaxScheme"), "ID", "VAT")

    def monetary_total(self, root) -> None:
        invoice = self.invoice
        total = cac(root, "LegalMonetaryTotal")
        self.amount(total, "LineExtensionAmount", invoice.subtotal)
        self.amount(total, "TaxExclusiveAmount", invoice.subtotal + invoice.shipping_total)
        self.amount(total, "TaxInclusiveAmount", invoice.total)
        if invoice.shipping_total:
            self.amount(total, "ChargeTotalAmount", invoice.shipping_total)
        self.amount(total, "PrepaidAmount", invoice.total)
        self.amount(total, "PayableAmount", 0)

    def line_allowance(self, element, amount: int) -> None:
        allowance = cac(element, "AllowanceCharge")
        cbc(allowance, "ChargeIndicator", "false")
        cbc(allowance, "AllowanceChargeReasonCode", DISCOUNT)
        code = self.invoice.discount_code
        cbc(allowance, "AllowanceChargeReason",
            f"Discount code {code}" if code else "Credited before")  # fmt: skip
        self.amount(allowance, "Amount", amount)

    def line(self, root, line) -> None:
        element = cac(root, "CreditNoteLine" if self.credit else "InvoiceLine")
        cbc(element, "ID", str(line.position))
        # Part of a price given back credits no unit; the e-invoice counts it as one.
        units = self.sign * line.quantity or 1
        quantity = cbc(element, "CreditedQuantity" if self.credit else "InvoicedQuantity",
                       str(units))  # fmt: skip
        quantity.set("unitCode", UNIT)
        self.amount(element, "LineExtensionAmount", line.line_total)
        if line.discount:  # a discount code's share: the line's net amount is after it
            self.line_allowance(element, line.discount)
        item = cac(element, "Item")
        cbc(item, "Name", line.description)
        cbc(cac(item, "SellersItemIdentification"), "ID", line.sku)
        self.tax_category(item, "ClassifiedTaxCategory", Decimal(line.tax_rate))
        tax_class = cac(item, "AdditionalItemProperty")
        cbc(tax_class, "Name", "Tax class")
        cbc(tax_class, "Value", line.tax_class_name)
        price = cac(element, "Price")
        unit_price = to_decimal(line.unit_price, self.invoice.currency)
        cbc(price, "PriceAmount", str(unit_price)).set("currencyID", self.invoice.currency)


# --- helpers ------------------------------------------------------------------------


def cac(parent, tag: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{NS_CAC}}}{tag}")


def cbc(parent, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS_CBC}}}{tag}")
    element.text = text
    return element


def percent(value: Decimal) -> str:
    """13 -> "13", 9.975 -> "9.975": the rate as a plain decimal."""
    return f"{Decimal(value).normalize():f}"


def lines_of(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def tax_numbers(text: str) -> dict[str, str]:
    """ "GST/HST 123456789 RT0001" lines (as StoreSettings.tax_numbers writes them) by label."""
    numbers = {}
    for line in lines_of(text):
        label, _, number = line.partition(" ")
        numbers[label] = number.strip()
    return numbers


_COUNTRY_NAMES = {name.lower(): code for code, name in Locale.parse("en").territories.items()}


def country_of(address_lines: list[str], *, default: str) -> str:
    """The ISO code of an address's last line ("Canada" or "CA"), else the default."""
    if address_lines:
        last = address_lines[-1]
        if len(last) == 2 and last.isalpha():
            return last.upper()
        if last.lower() in _COUNTRY_NAMES:
            return _COUNTRY_NAMES[last.lower()]
    return default


def postal_address(parent, address_lines: list[str], country: str, tag="PostalAddress") -> None:
    """An address kept as lines ("street", ..., "City PR  POSTAL", "Country") as UBL fields."""
    address_lines = list(address_lines)
    if address_lines and country_of(address_lines[-1:], default="") == country:
        address_lines.pop()
    city_line = address_lines.pop() if address_lines else ""
    city, province, postal = split_city_line(city_line)
    address = cac(parent, tag)
    if address_lines:
        cbc(address, "StreetName", address_lines[0])
    if len(address_lines) > 1:
        cbc(address, "AdditionalStreetName", address_lines[1])
    if city:
        cbc(address, "CityName", city)
    if postal:
        cbc(address, "PostalZone", postal)
    if province:
        cbc(address, "CountrySubentity", province)
    if len(address_lines) > 2:
        cbc(cac(address, "AddressLine"), "Line", ", ".join(address_lines[2:]))
    cbc(cac(address, "Country"), "IdentificationCode", country)


def split_city_line(line: str) -> tuple[str, str, str]:
    """ "Toronto ON  M5H 2N2" -> ("Toronto", "ON", "M5H 2N2"); anything else is the city."""
    place, sep, postal = line.partition("  ")
    if not sep:
        return line, "", ""
    city, _, province = place.rpartition(" ")
    if not city or not (province.isalpha() and province.isupper() and len(province) <= 3):
        return place, "", postal.strip()
    return city, province, postal.strip()
