"""Any invoice or credit note as a file, for staff: the PDF and the UBL XML.

The bookkeeper and sales staff (and the owner) download what the customer got;
the list of invoices lives with the books (backoffice/accounting.py).
"""

from flask import abort

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.views import file_response
from shop.accounts import roles
from shop.billing import files

VIEWERS = (roles.BOOKKEEPER, roles.SALES)


def _invoice_or_404(number: str):
    invoice = files.invoice_by_number(number)
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/invoices/<invoice_number>.pdf")
@allow(*VIEWERS)
def invoice_pdf(invoice_number: str):
    invoice = _invoice_or_404(invoice_number)
    return file_response(files.invoice_pdf(invoice), f"{invoice.number}.pdf", files.PDF)


@bp.get("/invoices/<invoice_number>.xml")
@allow(*VIEWERS)
def invoice_xml(invoice_number: str):
    invoice = _invoice_or_404(invoice_number)
    return file_response(files.invoice_xml(invoice), f"{invoice.number}.xml", files.XML)
