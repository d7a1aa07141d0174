from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base, TimestampMixin, UTCDateTime, utcnow

PENDING = "pending"  # waiting for (another) delivery attempt
SENT = "sent"  # handed to the mail server or written as .eml
FAILED = "failed"  # gave up after OUTBOX_MAX_ATTEMPTS; kept for staff to see


class OutboxMessage(TimestampMixin, Base):
    """An email written in the same transaction as the change that causes it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. password_reset
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attachments: Mapped[list["OutboxAttachment"]] = relationship(
        order_by="OutboxAttachment.id", cascade="all, delete-orphan"
    )


class OutboxAttachment(Base):
    """A file sent with an outbox email, e.g. the invoice PDF."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_messages.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # None: made at delivery
    made_by: Mapped[str | None] = mapped_column(sa.String(80))  # e.g. "invoice_pdf:42"
