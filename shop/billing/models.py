from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, UTCDateTime
from shop.tax.lines import TaxLine

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"

PAID = "paid"  # every invoice is issued paid (the status column has no other value yet)
STATUS_LABELS = {PAID: "Paid"}


class InvoiceSequence(Base):
    """The next number of a numbering series, e.g. INV-2026. Incremented in the
    paying transaction, whose row lock makes numbers gapless and unique."""

    __tablename__ = "invoice_sequences"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class Invoice(Base):
    """An issued invoice or credit note: every figure and address is stored, never recomputed."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12), default=INVOICE)
    status: Mapped[str] = mapped_column(sa.String(10))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    credits_invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))

    seller_name: Mapped[str] = mapped_column(sa.String(200))
    seller_address: Mapped[str] = mapped_column(sa.Text)  # one line per line
    seller_tax_numbers: Mapped[str] = mapped_column(sa.Text)  # e.g. "GST/HST 123456789 RT0001"
    footer: Mapped[str] = mapped_column(sa.Text, default="")

    customer_email: Mapped[str] = mapped_column(sa.String(254))
    bill_to: Mapped[str] = mapped_column(sa.Text)
    ship_to: Mapped[str] = mapped_column(sa.Text)
    ship_province: Mapped[str] = mapped_column(sa.String(3))
    ship_country: Mapped[str] = mapped_column(sa.String(2))

    subtotal: Mapped[int] = mapped_column(sa.BigInteger)  # the lines' totals: after a discount
    discount_code: Mapped[str | None] = mapped_column(sa.String(40))
    discount_total: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    shipping_discount: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    shipping_total: Mapped[int] = mapped_column(sa.BigInteger)
    shipping_description: Mapped[str] = mapped_column(sa.String(120), default="")
    tax_total: Mapped[int] = mapped_column(sa.BigInteger)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_method: Mapped[str] = mapped_column(sa.String(80), default="")

    lines: Mapped[list["InvoiceLine"]] = relationship(
        order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    taxes: Mapped[list["InvoiceTax"]] = relationship(
        order_by="InvoiceTax.id", cascade="all, delete-orphan"
    )
    # By name: billing sits below orders and imports nothing of it (shop.orders.models).
    order: Mapped["Order"] = relationship(viewonly=True)  # noqa: F821

    @property
    def title(self) -> str:
        return "Credit note" if self.kind == CREDIT_NOTE else "Invoice"


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column()
    sku: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[int] = mapped_column(sa.BigInteger)
    tax_class_name: Mapped[str] = mapped_column(sa.String(80))
    # The combined rate the line's goods paid (0.13 for HST 13%, 0.05 for a book's HST
    # less its rebated provincial part, 0 zero-rated): its EN 16931 category and rate.
    tax_rate: Mapped[Decimal] = mapped_column(
        sa.Numeric(7, 5), default=Decimal(0), server_default="0"
    )
    line_total: Mapped[int] = mapped_column(sa.BigInteger)  # after the line's discount
    discount: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class InvoiceTax(TaxLine, Base):
    __tablename__ = "invoice_taxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
