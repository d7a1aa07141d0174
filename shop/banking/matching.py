"""Each bank line matches one journal line on the Bank account, and no journal line is
matched twice (a unique key on bank_lines.journal_line_id holds it, also under races).

Automatic when unambiguous: the same signed amount, booked within a few days of the
entry, and one such candidate; or, among several, the one the bank line's text names
(a payout's id, a cheque or EFT number in the entry's description). By hand
otherwise. A line with no entry behind it (bank charges, interest) posts its own.
"""

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.banking.errors import BankingError
from shop.banking.models import AUTO, BY_HAND, POSTED, BankLine
from shop.db import utcnow
from shop.extensions import db
from shop.payments.models import Payout

AUTO_DAYS = 4  # a payout or a cheque reaches the statement within a few days of its entry
HAND_DAYS = 45  # the candidates offered by hand
KEPT_ROLES = {
    chart.BANK, chart.INVENTORY, chart.RECEIVED_NOT_BILLED, chart.PAYABLE, chart.CLEARING
}  # fmt: skip
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:/#.-]{3,}")


def bank_account() -> Account:
    return books.account_for(chart.BANK)


def _signed():
    return JournalLine.debit - JournalLine.credit


def _matched_ids():
    return sa.select(BankLine.journal_line_id).where(BankLine.journal_line_id.is_not(None))


def unmatched_journal_lines_query():
    """Journal lines on the Bank account that no bank line matched yet."""
    return (
        sa.select(JournalLine)
        .join(JournalLine.entry)
        .where(JournalLine.account_id == bank_account().id, JournalLine.id.not_in(_matched_ids()))
    )


def candidates(line: BankLine, days: int = HAND_DAYS) -> list[JournalLine]:
    """Unmatched Bank journal lines of the same signed amount, nearest in date first."""
    query = unmatched_journal_lines_query().where(
        _signed() == line.amount,
        JournalEntry.date.between(
            line.booked_on - timedelta(days), line.booked_on + timedelta(days)
        ),
    )
    found = list(db.session.scalars(query))
    return sorted(found, key=lambda jl: (abs((jl.entry.date - line.booked_on).days), jl.id))


def references(journal_line: JournalLine) -> set[str]:
    """What a bank's text could name the entry by: a payout's id, and the words of the
    description and memo that carry a digit (CHQ-1042, EFT-20261130-7), and their numbers."""
    entry = journal_line.entry
    words = REFERENCE.findall(f"{entry.description} {journal_line.memo}")
    found = {w.lower() for w in words if any(ch.isdigit() for ch in w)}
    # A bank writes a cheque CHQ-1042 as "CHQ 1042" or "1042": its number alone names it too.
    found.update(n for w in words for n in re.findall(r"\d{4,}", w))
    payout_ids = db.session.scalars(
        sa.select(Payout.provider_payout_id).where(Payout.entry_id == entry.id)
    )
    found.update(p.lower() for p in payout_ids)
    return found


def names(line: BankLine, journal_line: JournalLine) -> bool:
    text = line.text.lower()
    return any(ref in text for ref in references(journal_line))


def proposal(line: BankLine) -> JournalLine | None:
    """The one journal line this bank line is unambiguously, or None."""
    near = candidates(line, AUTO_DAYS)
    named = [jl for jl in near if names(line, jl)]
    if len(named) == 1:
        return named[0]
    if len(near) == 1 and not named:
        return near[0]
    return None


def auto_match(lines: list[BankLine]) -> int:
    matched = 0
    for line in sorted(lines, key=lambda x: (x.booked_on, x.id)):
        if line.journal_line_id is not None:
            continue
        found = proposal(line)
        if found is not None:
            try:
                match(line, found, user=None, how=AUTO)
            except BankingError:
                continue  # taken at this moment by someone matching by hand
            matched += 1
    return matched


def match(line: BankLine, journal_line: JournalLine, *, user, how: str = BY_HAND) -> None:
    """Match the bank line to a journal line on Bank of the same amount, once.

    The update only takes a line still unmatched, and the unique key refuses a journal
    line matched meanwhile: two people matching at once cannot both succeed.
    """
    if journal_line.account_id != bank_account().id:
        raise BankingError("Choose an entry line on the Bank account.", field="journal_line_id")
    if journal_line.debit - journal_line.credit != line.amount:
        raise BankingError(
            "The entry's amount differs from the bank line's; a bank line matches an entry "
            "of the same amount.",
            field="journal_line_id",
        )
    table = BankLine.__table__
    try:
        with db.session.begin_nested():
            done = db.session.execute(
                sa.update(table)
                .where(table.c.id == line.id, table.c.journal_line_id.is_(None))
                .values(
                    journal_line_id=journal_line.id, matched_how=how,
                    matched_by_id=getattr(user, "id", None), matched_at=utcnow(),
                )
            )  # fmt: skip
    except IntegrityError as exc:
        raise BankingError(
            "That entry is already matched to another bank line.", field="journal_line_id"
        ) from exc
    if done.rowcount != 1:
        raise BankingError("This bank line is already matched.", field="journal_line_id")
    db.session.refresh(line)


def unmatch(line: BankLine) -> None:
    """Undo a match; an entry the line posted itself stays posted (and unmatched)."""
    line.journal_line_id = None
    line.matched_how = line.matched_by_id = line.matched_at = None
    db.session.flush()


def kept_by_records(account: Account) -> bool:
    """An account whose balance a month-end check holds to its records (stock, goods not
    billed, open bills, the processor's payouts, tax on invoices and bills): money that
    moved it goes through its own record (a supplier payment, a payout), never a bank line."""
    tax_prefixes = (chart.tax_role(""), chart.itc_role(""))
    return account.role in KEPT_ROLES or (account.role or "").startswith(tax_prefixes)


def own_entry_accounts(accounts: list[Account]) -> list[Account]:
    """The accounts a bank line may post its own entry to."""
    return [a for a in accounts if a.is_active and not kept_by_records(a)]


def post_own_entry(line: BankLine, *, account: Account, user) -> JournalEntry:
    """A bank line with no entry behind it (a bank charge, interest): post bank / the
    account the bookkeeper picks (bank charges by default), and match the line to it."""
    if line.journal_line_id is not None:
        raise BankingError("This bank line is already matched.", field="account_id")
    if account.id == bank_account().id or not account.is_active:
        raise BankingError("Choose an active account other than Bank.", field="account_id")
    if kept_by_records(account):
        raise BankingError(
            f"{account.code} {account.name} follows its own records: record the supplier "
            "payment on its bill (or the payout), then match this line to its entry.",
            field="account_id",
        )
    amount = abs(line.amount)
    bank_side = books.Line(chart.BANK, debit=amount) if line.amount > 0 else None
    bank_side = bank_side or books.Line(chart.BANK, credit=amount)
    other = books.Line(account.code, debit=bank_side.credit, credit=bank_side.debit)
    try:
        with db.session.begin_nested():
            entry = books.post_entry(
                source_type="bank_line", source_key=f"bank_line:{line.id}", on=line.booked_on,
                description=f"Bank: {line.text or line.bank_ref}", lines=[bank_side, other],
                user=user,
            )  # fmt: skip
    except IntegrityError as exc:
        raise BankingError(
            "This bank line was posted by someone else at the same moment.", field="account_id"
        ) from exc
    [bank_line] = [jl for jl in entry.lines if jl.account_id == bank_account().id]
    match(line, bank_line, user=user, how=POSTED)
    return entry
