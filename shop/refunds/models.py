import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts.models import User
from shop.billing.models import Invoice
from shop.db import Base, TimestampMixin, UTCDateTime
from shop.orders.models import Order, OrderLine, Payment
from shop.refunds import status as refund_status


class Refund(TimestampMixin, Base):
    """Money given back for an order, through the provider that took it.

    Decided in one transaction with its credit note and reversing entries; the
    provider's answer (at once for the demo, by API reply or webhook for Stripe)
    moves it from pending to succeeded. Every pending refund counts against what
    may still be refunded, so two refunds at once never give back more than was paid.
    """

    __tablename__ = "refunds"
    __table_args__ = (
        sa.UniqueConstraint("provider", "reference"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    # The provider's id of the refund (Stripe's re_...), once it is known.
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # minor units, what goes back
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(20), default=refund_status.PENDING, index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))  # refund_status.REASON_LABELS
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # What was credited besides goods: shipping given back, a restocking fee kept.
    shipping_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    restocking_fee: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credit_note_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    return_id: Mapped[int | None] = mapped_column(sa.ForeignKey("return_requests.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    attempts: Mapped[int] = mapped_column(default=0)  # calls made to the provider
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Random, committed with the refund before the provider is asked: every retry sends
    # the same key (a lost answer is replayed, never refunded twice); a failed refund
    # that staff send again gets a new one (the provider would replay the failure).
    idempotency_token: Mapped[str] = mapped_column(
        sa.String(32), default=lambda: secrets.token_hex(8)
    )

    order: Mapped[Order] = relationship()
    payment: Mapped[Payment | None] = relationship()
    credit_note: Mapped[Invoice | None] = relationship()
    user: Mapped[User | None] = relationship()
    lines: Mapped[list["RefundLine"]] = relationship(
        back_populates="refund", order_by="RefundLine.id", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return refund_status.LABELS[self.status]

    @property
    def reason_label(self) -> str:
        return refund_status.REASON_LABELS.get(self.reason, self.reason)


class RefundLine(Base):
    """Units of one order line whose price is given back by a refund, or a part of its price."""

    __tablename__ = "refund_lines"
    # No units for an amount given back on a line without its goods (goodwill, a dashboard).
    __table_args__ = (sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("refunds.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # goods, before tax

    refund: Mapped[Refund] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()
