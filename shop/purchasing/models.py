from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, TimestampMixin, UTCDateTime


class Supplier(TimestampMixin, Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    lead_time_days: Mapped[int] = mapped_column(default=14)
    contact_name: Mapped[str | None] = mapped_column(sa.String(120))
    currency: Mapped[str] = mapped_column(sa.String(3), default="CAD")
    payment_terms_days: Mapped[int] = mapped_column(default=30)  # a bill is due after (Net 30)
    # Where the supplier charges sales tax from: a bill's tax is checked at its rates.
    province: Mapped[str | None] = mapped_column(sa.String(3))

    def __str__(self) -> str:
        return self.name


class PurchaseOrder(TimestampMixin, Base):
    """Goods ordered from a supplier; statuses and their transitions are in purchasing.status."""

    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    expected_date: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list["PurchaseOrderLine"]] = relationship(
        back_populates="purchase_order",
        order_by="PurchaseOrderLine.id",
        cascade="all, delete-orphan",
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("quantity_received >= 0", name="received_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    quantity_received: Mapped[int] = mapped_column(default=0)
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger)  # minor units of the PO's currency
    expected_date: Mapped[date | None] = mapped_column(sa.Date)

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    variant: Mapped["Variant"] = relationship()  # noqa: F821

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.quantity_received, 0)
