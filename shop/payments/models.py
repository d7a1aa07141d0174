from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounting.models import JournalEntry
from shop.db import Base, UTCDateTime, utcnow

PAID = "paid"
FAILED = "failed"
PAYOUT_LABELS = {PAID: "Paid", FAILED: "Failed"}


class Payout(Base):
    """Money the payment processor sent from its balance to the store's bank account.

    The amount is what reached the bank: the processor's fees were already taken per
    charge. A payout that fails after it was paid keeps its row, with both entries.
    """

    __tablename__ = "payouts"
    __table_args__ = (sa.UniqueConstraint("provider", "provider_payout_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    # The processor's own id (Stripe's po_...), or the demo's day key (demo:2026-11-30).
    provider_payout_id: Mapped[str] = mapped_column(sa.String(255))
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # minor units, what the bank receives
    currency: Mapped[str] = mapped_column(sa.String(3))
    arrival_date: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=PAID)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    reversal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[JournalEntry | None] = relationship(foreign_keys=[entry_id])
    reversal: Mapped[JournalEntry | None] = relationship(foreign_keys=[reversal_id])

    @property
    def status_label(self) -> str:
        return PAYOUT_LABELS.get(self.status, self.status)
