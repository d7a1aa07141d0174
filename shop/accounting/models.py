from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts.models import User
from shop.db import Base, TimestampMixin, UTCDateTime, utcnow

ASSET = "asset"
LIABILITY = "liability"
EQUITY = "equity"
INCOME = "income"
EXPENSE = "expense"
ACCOUNT_TYPES = {
    ASSET: "Asset",
    LIABILITY: "Liability",
    EQUITY: "Equity",
    INCOME: "Income",
    EXPENSE: "Expense",
}


class Account(Base):
    """An account of the chart. Which account plays which role is found by its `role`."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    type: Mapped[str] = mapped_column(sa.String(10))
    # What the posting rules use it for, e.g. "sales" or "tax:GST"; None for others.
    role: Mapped[str | None] = mapped_column(sa.String(30), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JournalEntry(Base):
    """A balanced entry; `source_key` names the event it records, so it is posted once."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(sa.Date, index=True)
    description: Mapped[str] = mapped_column(sa.String(300))
    source_type: Mapped[str] = mapped_column(sa.String(30), index=True)
    source_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    # Amounts are in the base currency; an order in another currency keeps its own and the rate.
    # Nothing writes these two yet: every order is in the base currency today. They stay for
    # the multi-currency work DESIGN.md promises (orders in other currencies), which will
    # write them when it posts such an order; until then they are always NULL.
    original_currency: Mapped[str | None] = mapped_column(sa.String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 8))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list["JournalLine"]] = relationship(
        back_populates="entry", order_by="JournalLine.id", cascade="all, delete-orphan"
    )
    user: Mapped[User | None] = relationship()

    @property
    def total(self) -> int:
        return sum(line.debit for line in self.lines)


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        sa.CheckConstraint("debit >= 0 AND credit >= 0", name="amounts_not_negative"),
        sa.CheckConstraint("debit = 0 OR credit = 0", name="debit_or_credit"),
        # The statements sum an account's lines over days without reading the entries.
        sa.Index(
            "ix_journal_lines_account_date",
            "account_id",
            "date",
            postgresql_include=["debit", "credit"],
        ),  # fmt: skip
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    # Always the entry's date (set on insert, below): entries never change their date.
    date: Mapped[date] = mapped_column(sa.Date)
    debit: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credit: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    memo: Mapped[str] = mapped_column(sa.String(200), default="")

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship()


@sa.event.listens_for(JournalLine, "before_insert")
def _line_takes_its_entrys_date(_mapper, _connection, line: JournalLine) -> None:
    line.date = line.entry.date


class CommissionAgent(TimestampMixin, Base):
    """A sales person or referral partner paid a share of the goods of the orders they bring."""

    __tablename__ = "commission_agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)  # ?ref=CODE on any page
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))  # 0.05 for 5 %
    is_active: Mapped[bool] = mapped_column(default=True)


class PeriodClose(Base):
    """The books closed through a day (a month end): nothing posts on or before it while
    the close stands. Reopening keeps the row, with who reopened it and when."""

    __tablename__ = "period_closes"

    id: Mapped[int] = mapped_column(primary_key=True)
    closed_through: Mapped[date] = mapped_column(sa.Date, index=True)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])
