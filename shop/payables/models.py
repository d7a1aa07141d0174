"""Supplier bills (the supplier's invoice, against a received purchase order) and the
payments that clear them. Statuses and their meaning are in shop.payables.bills."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounting.models import Account, JournalEntry
from shop.db import Base, TimestampMixin, UTCDateTime
from shop.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from shop.tax.lines import TaxAmount

OPEN = "open"
PARTLY_PAID = "partly_paid"
PAID = "paid"
VOID = "void"
STATUS_LABELS = {OPEN: "Open", PARTLY_PAID: "Partly paid", PAID: "Paid", VOID: "Void"}
UNPAID = (OPEN, PARTLY_PAID)  # what accounts payable still owes

CHEQUE = "cheque"
EFT = "eft"
METHODS = {CHEQUE: "Cheque", EFT: "EFT"}


class SupplierBill(TimestampMixin, Base):
    """A supplier's invoice as entered: its lines, the tax it charged, what is still owed."""

    __tablename__ = "supplier_bills"
    __table_args__ = (
        sa.UniqueConstraint("supplier_id", "invoice_number", name="uq_supplier_bills_number"),
        sa.CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="paid_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    purchase_order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(sa.String(60))  # the supplier's own number
    bill_date: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date] = mapped_column(sa.Date, index=True)
    pay_on: Mapped[date | None] = mapped_column(sa.Date)  # the payment scheduled for
    status: Mapped[str] = mapped_column(sa.String(20), index=True, default=OPEN)
    total: Mapped[int] = mapped_column(sa.BigInteger)  # lines and tax, minor units
    amount_paid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    void_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    supplier: Mapped[Supplier] = relationship()
    purchase_order: Mapped[PurchaseOrder] = relationship()
    entry: Mapped[JournalEntry | None] = relationship(foreign_keys=[entry_id])
    void_entry: Mapped[JournalEntry | None] = relationship(foreign_keys=[void_entry_id])
    lines: Mapped[list["SupplierBillLine"]] = relationship(
        back_populates="bill", order_by="SupplierBillLine.id", cascade="all, delete-orphan"
    )
    taxes: Mapped[list["SupplierBillTax"]] = relationship(
        back_populates="bill", order_by="SupplierBillTax.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list["SupplierPayment"]] = relationship(
        back_populates="bill", order_by="SupplierPayment.id"
    )

    @property
    def open_amount(self) -> int:
        return 0 if self.status == VOID else self.total - self.amount_paid

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def tax_total(self) -> int:
        return sum(tax.amount for tax in self.taxes)


class SupplierBillLine(Base):
    """Goods of a purchase-order line (po_line set) or another charge to an account."""

    __tablename__ = "supplier_bill_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("(po_line_id IS NULL) <> (account_id IS NULL)", name="goods_or_charge"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier_bills.id"), index=True)
    po_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("purchase_order_lines.id"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    description: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column()
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger)  # as billed, minor units
    po_unit_cost: Mapped[int | None] = mapped_column(sa.BigInteger)  # the PO's, when billed

    bill: Mapped[SupplierBill] = relationship(back_populates="lines")
    po_line: Mapped[PurchaseOrderLine | None] = relationship()
    account: Mapped[Account | None] = relationship()

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_cost

    @property
    def variance(self) -> int:
        """Bill cost minus PO cost of these units (0 for a charge)."""
        if self.po_unit_cost is None:
            return 0
        return self.quantity * (self.unit_cost - self.po_unit_cost)


class SupplierBillTax(TaxAmount, Base):
    """Tax the supplier charged, one component (GST, HST, QST, PST) as on their invoice."""

    __tablename__ = "supplier_bill_taxes"
    __table_args__ = (
        sa.UniqueConstraint("bill_id", "component", name="uq_supplier_bill_taxes_component"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier_bills.id"), index=True)

    bill: Mapped[SupplierBill] = relationship(back_populates="taxes")


class SupplierPayment(Base):
    """Money sent to the supplier against one bill (a cheque or an EFT)."""

    __tablename__ = "supplier_payments"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier_bills.id"), index=True)
    paid_on: Mapped[date] = mapped_column(sa.Date)
    method: Mapped[str] = mapped_column(sa.String(10))
    reference: Mapped[str] = mapped_column(sa.String(60))  # cheque number, EFT trace
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    bill: Mapped[SupplierBill] = relationship(back_populates="payments")
    entry: Mapped[JournalEntry | None] = relationship()
