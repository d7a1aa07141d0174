"""Invoices: issued in the transaction that marks the order paid, numbered without gaps."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.billing.errors import BillingError
from shop.billing.models import (
    CREDIT_NOTE,
    INVOICE,
    PAID,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceTax,
)
from shop.clock import store_date
from shop.db import utcnow
from shop.extensions import db
from shop.store_details.services import store_settings
from shop.tax.calculations import combined_rate, rates_for

PREFIX = {INVOICE: "INV", CREDIT_NOTE: "CN"}


def next_number(series: str) -> int:
    """The next number of a series. The UPDATE holds the series row until commit, so
    concurrent payments queue for it, and a rolled-back payment gives its number back."""
    bump = (
        sa.update(InvoiceSequence)
        .where(InvoiceSequence.name == series)
        .values(last_value=InvoiceSequence.last_value + 1)
        .returning(InvoiceSequence.last_value)
    )
    value = db.session.execute(bump).scalar_one_or_none()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():  # the first number of a new year's series
            db.session.add(InvoiceSequence(name=series, last_value=1))
        return 1
    except IntegrityError:  # another payment started the series at the same moment
        return db.session.execute(bump).scalar_one()


def _number(kind: str, issued) -> str:
    """e.g. INV-2026-000042; the year is the store's, as on the invoice's date."""
    series = f"{PREFIX[kind]}-{store_date(issued).year}"
    return f"{series}-{next_number(series):06d}"


def invoice_for_order(order) -> Invoice | None:
    return db.session.scalar(
        sa.select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == INVOICE)
    )


def issue_invoice(*, order, payment_method: str, now: datetime | None = None) -> Invoice:
    """The paid invoice of an order, frozen from the order as it stands; once per order.

    `now` (the current time unless given) dates the invoice and picks its year's series:
    the demo's history passes the moment each order was paid."""
    existing = invoice_for_order(order)
    if existing is not None:
        return existing
    issued = utcnow() if now is None else now
    # The number first: from here to commit, payments queue on the series row, so
    # the first ones on a new store do not each create the settings row.
    number = _number(INVOICE, issued)
    settings = store_settings()
    address = "\n".join(order.address_lines())
    invoice = Invoice(
        number=number,
        kind=INVOICE,
        status=PAID,
        order_id=order.id,
        user_id=order.user_id,
        issued_at=issued,
        currency=order.currency,
        seller_name=settings.legal_name,
        seller_address=settings.address,
        seller_tax_numbers="\n".join(settings.tax_numbers()),
        footer=settings.invoice_footer,
        customer_email=order.email,
        bill_to=address,
        ship_to=address,
        ship_province=order.ship_province,
        ship_country=order.ship_country,
        subtotal=order.subtotal,
        discount_code=order.discount_code,
        discount_total=order.discount_total,
        shipping_discount=order.shipping_discount,
        shipping_total=order.shipping_total,
        shipping_description=order.shipping_service_name,
        tax_total=order.tax_total,
        total=order.total,
        paid_at=order.paid_at or issued,
        payment_method=payment_method,
    )
    rates = rates_for(order.ship_country, order.ship_province)
    invoice.lines = [
        InvoiceLine(
            position=n,
            sku=line.sku,
            description=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_class_name=line.tax_class_name,
            tax_rate=combined_rate(rates.get(line.tax_class_id, [])),
            line_total=line.line_total,
            discount=line.discount,
        )  # fmt: skip
        for n, line in enumerate(order.lines, start=1)
    ]
    invoice.taxes = [
        InvoiceTax(component=t.component, rate=t.rate, taxable=t.taxable, amount=t.amount)
        for t in order.taxes
    ]
    _check_adds_up(invoice)
    db.session.add(invoice)
    db.session.flush()
    return invoice


def _check_adds_up(invoice: Invoice) -> None:
    lines = sum(line.line_total for line in invoice.lines)
    taxes = sum(t.amount for t in invoice.taxes)
    if lines != invoice.subtotal or taxes != invoice.tax_total:
        raise BillingError("The invoice's lines or taxes do not add up to its totals.")
    if invoice.subtotal + invoice.shipping_total + invoice.tax_total != invoice.total:
        raise BillingError("The invoice's total is not its subtotal, shipping and taxes.")


def invoices_of(user) -> list[Invoice]:
    query = sa.select(Invoice).where(Invoice.user_id == user.id).order_by(Invoice.id.desc())
    return list(db.session.scalars(query))


def invoice_for_customer(*, number: str, user) -> Invoice | None:
    """The invoice if it is this customer's; another customer's number is 'not found'."""
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.number == number))
    if invoice is None or user is None or invoice.user_id != user.id:
        return None
    return invoice


def issue_credit_note(*, invoice: Invoice, reason: str = "") -> Invoice:
    """A credit note for the whole of an invoice: the same lines and taxes, negative.

    An issued invoice never changes; a correction or refund is a credit note.
    """
    if invoice.kind != INVOICE:
        raise BillingError("Only an invoice can be credited.")
    credited = db.session.scalar(
        sa.select(Invoice.number).where(Invoice.credits_invoice_id == invoice.id)
    )
    if credited is not None:
        raise BillingError(f"Invoice {invoice.number} is already credited by {credited}.")
    lines = [
        CreditedLine(
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_class_name=line.tax_class_name,
            tax_rate=line.tax_rate,
            amount=line.line_total,
        )  # fmt: skip
        for line in invoice.lines
    ]
    taxes = [CreditedTax(t.component, t.rate, t.taxable, t.amount) for t in invoice.taxes]
    return issue_credit(
        invoice=invoice, lines=lines, shipping=invoice.shipping_total, taxes=taxes, reason=reason
    )


@dataclass(frozen=True)
class CreditedLine:
    """A line given back on a credit note, in the invoice's (positive) terms. A negative
    amount is kept by the store, e.g. a restocking fee: it reduces what is credited."""

    sku: str
    description: str
    quantity: int
    unit_price: int
    tax_class_name: str
    tax_rate: Decimal
    amount: int


@dataclass(frozen=True)
class CreditedTax:
    component: str
    rate: Decimal
    taxable: int
    amount: int


def issue_credit(
    *, invoice: Invoice, lines: list[CreditedLine], shipping: int, taxes: list[CreditedTax],
    reason: str = "",
) -> Invoice:  # fmt: skip
    """A credit note for part (or all) of an invoice, numbered in its own gapless series.

    Its figures are stored negative: the lines, the shipping and each tax component
    given back. What may be credited (never more than was invoiced) is decided by
    the caller, the refund (shop.refunds).
    """
    if invoice.kind != INVOICE:
        raise BillingError("Only an invoice can be credited.")
    issued = utcnow()
    subtotal = sum(line.amount for line in lines)
    tax_total = sum(t.amount for t in taxes)
    taken = [_below_price(line) for line in lines]
    note = Invoice(
        number=_number(CREDIT_NOTE, issued),
        kind=CREDIT_NOTE,
        status=PAID,
        order_id=invoice.order_id,
        user_id=invoice.user_id,
        credits_invoice_id=invoice.id,
        issued_at=issued,
        currency=invoice.currency,
        seller_name=invoice.seller_name,
        seller_address=invoice.seller_address,
        seller_tax_numbers=invoice.seller_tax_numbers,
        footer=f"Credits invoice {invoice.number}. {reason}".strip(),
        customer_email=invoice.customer_email,
        bill_to=invoice.bill_to,
        ship_to=invoice.ship_to,
        ship_province=invoice.ship_province,
        ship_country=invoice.ship_country,
        subtotal=-subtotal,
        discount_code=invoice.discount_code,
        discount_total=-sum(taken),
        shipping_total=-shipping,
        shipping_description=invoice.shipping_description,
        tax_total=-tax_total,
        total=-(subtotal + shipping + tax_total),
        paid_at=issued,
        payment_method=invoice.payment_method,
    )
    note.lines = [
        InvoiceLine(
            position=position,
            sku=line.sku,
            description=line.description,
            quantity=-line.quantity if line.amount >= 0 else line.quantity,
            unit_price=line.unit_price,
            tax_class_name=line.tax_class_name,
            tax_rate=line.tax_rate,
            line_total=-line.amount,
            discount=-below,
        )  # fmt: skip
        for position, (line, below) in enumerate(zip(lines, taken, strict=True), start=1)
    ]
    note.taxes = [
        InvoiceTax(component=t.component, rate=t.rate, taxable=-t.taxable, amount=-t.amount)
        for t in taxes
    ]
    _check_adds_up(note)
    db.session.add(note)
    db.session.flush()
    return note


def _below_price(line: CreditedLine) -> int:
    """What the credited units' price comes to above the amount given back: the discount
    code's share of them (or what an earlier credit already gave back of the line)."""
    if line.amount < 0:  # a fee kept, at its own price
        return 0
    return max(line.unit_price * line.quantity - line.amount, 0)


def credit_notes_of(invoice: Invoice) -> list[Invoice]:
    query = sa.select(Invoice).where(Invoice.credits_invoice_id == invoice.id)
    return list(db.session.scalars(query.order_by(Invoice.id)))
