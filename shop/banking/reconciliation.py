"""What the reconciliation pages read: a statement's totals against the books, and what
is left unmatched on either side."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from shop.accounting.models import JournalEntry, JournalLine
from shop.banking import matching
from shop.banking.models import BankLine, BankStatement
from shop.extensions import db


@dataclass(frozen=True)
class StatementTotals:
    statement: BankStatement
    lines: int
    matched: int
    matched_amount: int
    unmatched: int
    unmatched_amount: int
    books_balance: int  # the Bank account's balance in the books at the statement's end

    @property
    def difference(self) -> int:
        """The bank's closing balance less the books' Bank balance that day (0 when they
        agree; the unmatched lines on either side usually explain the rest)."""
        return self.statement.closing_balance - self.books_balance


def books_balance(on: date) -> int:
    """Debits less credits on the Bank account for entries dated up to `on`."""
    query = (
        sa.select(sa.func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalLine.entry)
        .where(JournalLine.account_id == matching.bank_account().id, JournalEntry.date <= on)
    )
    return int(db.session.scalar(query) or 0)


def totals(statement: BankStatement) -> StatementTotals:
    matched = [x for x in statement.lines if x.journal_line_id is not None]
    unmatched = [x for x in statement.lines if x.journal_line_id is None]
    return StatementTotals(
        statement=statement, lines=len(statement.lines), matched=len(matched),
        matched_amount=sum(x.amount for x in matched), unmatched=len(unmatched),
        unmatched_amount=sum(x.amount for x in unmatched),
        books_balance=books_balance(statement.date_to),
    )  # fmt: skip


def statements() -> list[StatementTotals]:
    found = db.session.scalars(
        sa.select(BankStatement).order_by(BankStatement.date_to.desc(), BankStatement.id.desc())
    )
    return [totals(s) for s in found]


PER_PAGE = 50


def unmatched_bank_lines(*, page: int = 1, per_page: int = PER_PAGE):
    """Bank lines with no entry, newest first (today's import is on the first page)."""
    query = (
        sa.select(BankLine)
        .where(BankLine.journal_line_id.is_(None))
        .order_by(BankLine.booked_on.desc(), BankLine.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def unmatched_journal_lines(*, page: int = 1, per_page: int = PER_PAGE):
    """Lines on the Bank account on no statement, newest first."""
    query = (
        matching.unmatched_journal_lines_query()
        .options(contains_eager(JournalLine.entry))
        .order_by(JournalEntry.date.desc(), JournalLine.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
