from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts.models import User
from shop.db import Base, TimestampMixin, UTCDateTime
from shop.orders.models import Order, OrderLine
from shop.returns import status as return_status


class ReturnRequest(TimestampMixin, Base):
    """A customer's request to send goods back, known by its RMA number."""

    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)  # e.g. RMA-2026-000042
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=return_status.REQUESTED, index=True)
    customer_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    staff_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    lines: Mapped[list["ReturnLine"]] = relationship(
        back_populates="request", order_by="ReturnLine.id", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return return_status.LABELS[self.status]


class ReturnLine(Base):
    """Units of one order line asked back, and what became of them when they arrived."""

    __tablename__ = "return_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "quantity_resellable + quantity_damaged <= quantity", name="received_within_asked"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(sa.ForeignKey("return_requests.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(30))  # return_status.REASONS
    quantity_resellable: Mapped[int] = mapped_column(default=0)
    quantity_damaged: Mapped[int] = mapped_column(default=0)

    request: Mapped[ReturnRequest] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()

    @property
    def reason_label(self) -> str:
        return return_status.REASONS.get(self.reason, self.reason)
