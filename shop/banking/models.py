"""A bank's statements as imported, and each line's match in the books."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounting.models import JournalLine
from shop.accounts.models import User
from shop.db import Base, UTCDateTime, utcnow

AUTO = "auto"  # matched by the store: one candidate, or one named by the line's reference
BY_HAND = "hand"
POSTED = "posted"  # no entry existed (bank charges, interest): the line posted its own


class BankStatement(Base):
    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(sa.String(60))  # the bank's id of the account
    currency: Mapped[str] = mapped_column(sa.String(3))
    file_format: Mapped[str] = mapped_column(sa.String(10))  # "ofx" or "camt.053"
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    date_from: Mapped[date] = mapped_column(sa.Date)
    date_to: Mapped[date] = mapped_column(sa.Date)
    opening_balance: Mapped[int] = mapped_column(sa.BigInteger)
    closing_balance: Mapped[int] = mapped_column(sa.BigInteger)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list["BankLine"]] = relationship(
        back_populates="statement", order_by="(BankLine.booked_on, BankLine.id)"
    )
    user: Mapped[User | None] = relationship()


class BankLine(Base):
    """One transaction on the statement; it matches at most one journal line on Bank, and a
    journal line is matched by at most one bank line (the unique key holds it under races)."""

    __tablename__ = "bank_lines"
    __table_args__ = (sa.UniqueConstraint("account_number", "bank_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_statements.id"), index=True)
    account_number: Mapped[str] = mapped_column(sa.String(60))
    bank_ref: Mapped[str] = mapped_column(sa.String(120))  # the bank's own transaction id
    booked_on: Mapped[date] = mapped_column(sa.Date, index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # minor units; money in > 0, out < 0
    text: Mapped[str] = mapped_column(sa.String(500), default="")  # payee, memo, references
    journal_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journal_lines.id"), unique=True
    )
    matched_how: Mapped[str | None] = mapped_column(sa.String(10))
    matched_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    statement: Mapped[BankStatement] = relationship(back_populates="lines")
    journal_line: Mapped[JournalLine | None] = relationship()
