"""What the customer sees of an order after paying, and finding it without an account.

Reading only: the order page's shipments (with the carrier's tracking link,
shop.fulfilment.tracking), each line's status (shop.fulfilment.line_status), the
invoice and credit notes, the refunds, and which cancellations are open. No writes.
"""

import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa

from shop.addresses import tidy_postal_code
from shop.after_sale import cancellations
from shop.billing.models import CREDIT_NOTE, INVOICE, Invoice
from shop.extensions import db
from shop.fulfilment.line_status import LineStatus, order_line_statuses
from shop.fulfilment.tracking import ShipmentView, shipments_of
from shop.orders.models import Order
from shop.refunds import services as refunds

MAX_NUMBER = 20  # the longest order number the column holds


@dataclass(frozen=True)
class OrderOverview:
    order: Order
    statuses: dict[int, LineStatus]
    shipments: list[ShipmentView]
    invoice: Invoice | None
    credit_notes: list[Invoice]
    refunds: list = field(default_factory=list)  # shop.refunds.models.Refund
    may_cancel: bool = False
    may_cancel_rest: bool = False


def documents_of(order: Order) -> tuple[Invoice | None, list[Invoice]]:
    """The order's invoice and its credit notes, oldest first."""
    rows = db.session.scalars(
        sa.select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)
    ).all()
    invoice = next((row for row in rows if row.kind == INVOICE), None)
    return invoice, [row for row in rows if row.kind == CREDIT_NOTE]


def overview(order: Order) -> OrderOverview:
    invoice, notes = documents_of(order)
    return OrderOverview(
        order=order,
        statuses=order_line_statuses(order),
        shipments=shipments_of(order),
        invoice=invoice,
        credit_notes=notes,
        refunds=refunds.refunds_of(order),
        may_cancel=cancellations.customer_may_cancel(order),
        may_cancel_rest=cancellations.customer_may_cancel_rest(order),
    )


def document_of_order(order: Order, number: str) -> Invoice | None:
    """The order's own invoice or credit note with this number; any other is not found."""
    if len(number) > 30:
        return None
    return db.session.scalar(
        sa.select(Invoice).where(Invoice.order_id == order.id, Invoice.number == number)
    )


# --- "Track your order": a visitor without an account ----------------------------------


def found_by_email(order: Order, email_or_postal_code: str) -> bool:
    """Whether a found order was matched by its email (which lets the visitor act on it)
    rather than by its postal code (printed on the parcel: it only shows the order)."""
    given = (email_or_postal_code or "").strip().lower().encode()
    return secrets.compare_digest(given, order.email.lower().encode())


def find_order(*, number: str, email_or_postal_code: str) -> Order | None:
    """The order with this number whose email or shipping postal code matches, else None.

    The same None for an unknown number and for a known one with the wrong email or
    postal code, so the answer never tells whether a number exists. The comparison is
    made in constant time on both, whichever matches.
    """
    number = (number or "").strip().upper()
    given = (email_or_postal_code or "").strip()
    if not number or not given or len(number) > MAX_NUMBER:
        return None
    order = db.session.scalar(sa.select(Order).where(Order.number == number))
    if order is None:
        return None
    email_ok = secrets.compare_digest(given.lower().encode(), order.email.lower().encode())
    postal_ok = secrets.compare_digest(
        tidy_postal_code(given).encode(), tidy_postal_code(order.ship_postal_code).encode()
    )
    return order if (email_ok or postal_ok) else None
