"""An issued invoice as files: the PDF people read and the UBL XML software reads.

Both are drawn from the stored invoice (the store's settings add only the logo
and contact details), so the same invoice gives the same document every time:
in the confirmation email, in the customer's account and in the back office.
"""

import sqlalchemy as sa
from flask import current_app

from shop import media
from shop.billing.models import CREDIT_NOTE, Invoice
from shop.billing.ubl import invoice_ubl
from shop.documents.invoice import render_invoice
from shop.extensions import db
from shop.notifications import attachments
from shop.notifications.attachments import Later
from shop.store_details.services import store_settings

PDF = "application/pdf"
INVOICE_PDF = "invoice_pdf"  # the kind of attachment made at delivery
XML = "application/xml"
MAX_NUMBER = 30  # the longest number the column holds; a longer one is simply not found


def invoice_by_number(number: str) -> Invoice | None:
    """Any invoice or credit note, for staff; customers go through invoice_for_customer."""
    if len(number) > MAX_NUMBER:
        return None
    return db.session.scalar(sa.select(Invoice).where(Invoice.number == number))


def credited_number(invoice: Invoice) -> str:
    """For a credit note, the number of the invoice it credits; else ""."""
    if invoice.kind != CREDIT_NOTE or invoice.credits_invoice_id is None:
        return ""
    return db.session.scalar(
        sa.select(Invoice.number).where(Invoice.id == invoice.credits_invoice_id)
    )


def order_number(invoice: Invoice) -> str:
    return invoice.order.number if invoice.order is not None else ""


def logo_data(settings) -> bytes | None:
    """The logo at the product page's size (far smaller than a phone's photo, and sharp at
    the 45 x 20 mm it is printed), from the media storage; None without one. Only a name
    the store writes is read (shop.media.names), so never a file outside the images."""
    if not settings.logo_filename:
        return None
    try:
        return media.image_bytes(settings.logo_filename, "product")
    except media.MediaError:
        return None  # a storage that does not answer costs the invoice its logo, not itself


def invoice_pdf(invoice: Invoice) -> bytes:
    cfg = current_app.config
    return render_invoice(
        invoice,
        locale=cfg["LOCALE"],
        logo=logo_data(store_settings()),
        timezone=cfg["TIMEZONE"],
        order_number=order_number(invoice),
        credited_number=credited_number(invoice),
    )


def invoice_xml(invoice: Invoice) -> bytes:
    return invoice_ubl(
        invoice,
        store_settings(),
        timezone=current_app.config["TIMEZONE"],
        order_number=order_number(invoice),
        credited_number=credited_number(invoice),
    )


def pdf_attachment(invoice: Invoice) -> tuple[str, str, Later]:
    """(filename, content type, data) of the invoice PDF, as an email attachment.

    The PDF is drawn when the email is delivered, outside the paying transaction.
    """
    return f"{invoice.number}.pdf", PDF, Later(INVOICE_PDF, str(invoice.id))


def _invoice_pdf_by_id(key: str) -> bytes:
    return invoice_pdf(db.session.get(Invoice, int(key)))


def register_attachment_makers() -> None:
    attachments.register(INVOICE_PDF, _invoice_pdf_by_id)
