"""Importing a bank's statement file: each transaction once, by the bank's own id.

The file is read whole before anything is stored, so a file that cannot be read
changes nothing. Lines already imported (the same file again, or an overlapping
period) are skipped; a file with nothing new adds nothing and says so.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from shop.banking import camt, matching, ofx
from shop.banking.errors import BankingError
from shop.banking.models import BankLine, BankStatement
from shop.banking.parsed import ParsedStatement, check_size, check_statement
from shop.extensions import db
from shop.formatting import plural


@dataclass
class ImportResult:
    statements: list[BankStatement] = field(default_factory=list)
    added: int = 0
    skipped: int = 0  # lines imported before
    matched: int = 0  # of the added lines, matched automatically

    def summary(self) -> str:
        if not self.added:
            return (
                f"Nothing new: the {plural(self.skipped, 'line')} of this file "
                f"{_was_or_were(self.skipped)} imported before. Nothing was added."
            )
        text = f"Imported {plural(self.added, 'line')}, {self.matched} matched automatically."
        if self.skipped:
            text += (
                f" {plural(self.skipped, 'line')} {_was_or_were(self.skipped)} imported before "
                "and skipped."
            )
        return text


def _was_or_were(count: int) -> str:
    """The verb agreeing with plural(count, ...): "1 line was", "3 lines were"."""
    return "was" if count == 1 else "were"


def read_file(data: bytes) -> list[ParsedStatement]:
    check_size(data)
    if ofx.looks_like(data):
        parsed = ofx.parse(data)
    elif camt.looks_like(data):
        parsed = camt.parse(data)
    else:
        raise _neither()
    for statement in parsed:
        check_statement(statement)
    return parsed


def _neither() -> BankingError:
    return BankingError(
        "This is neither an OFX file nor an ISO 20022 camt.053 statement. Download the "
        "statement from your bank as OFX (Quicken/Money) or camt.053 XML. Nothing was imported.",
        field="file",
    )


def import_file(*, data: bytes, filename: str, user) -> ImportResult:
    parsed = read_file(data)
    filename = filename.replace("\x00", "")  # a browser sends what the disk called it
    base = current_app.config["BASE_CURRENCY"]
    for statement in parsed:
        if statement.currency.upper() != base:
            raise BankingError(
                f"The statement of account {statement.account_number} is in "
                f"{statement.currency}; the books are in {base}. Nothing was imported.",
                field="file",
            )
    result = ImportResult()
    try:
        with db.session.begin_nested():
            for statement in parsed:
                _store(statement, filename, user, result)
    except IntegrityError as exc:  # the same file imported by someone else at this moment
        raise BankingError(
            "This statement was being imported by someone else at the same moment; "
            "look at the statements list. Nothing was imported.",
            field="file",
        ) from exc
    for statement in result.statements:
        result.matched += matching.auto_match(statement.lines)
    return result


def _store(parsed: ParsedStatement, filename: str, user, result: ImportResult) -> None:
    refs = [line.bank_ref for line in parsed.lines]
    known = set(
        db.session.scalars(
            sa.select(BankLine.bank_ref).where(
                BankLine.account_number == parsed.account_number, BankLine.bank_ref.in_(refs)
            )
        )
    )
    new = [line for line in parsed.lines if line.bank_ref not in known]
    result.skipped += len(parsed.lines) - len(new)
    if not new:
        return
    statement = BankStatement(
        account_number=parsed.account_number, currency=parsed.currency.upper(),
        file_format=parsed.file_format, filename=filename[:200], date_from=parsed.date_from,
        date_to=parsed.date_to, opening_balance=parsed.opening_balance,
        closing_balance=parsed.closing_balance, user_id=getattr(user, "id", None),
    )  # fmt: skip
    db.session.add(statement)
    for line in new:
        statement.lines.append(
            BankLine(
                account_number=parsed.account_number, bank_ref=line.bank_ref,
                booked_on=line.booked_on, amount=line.amount, text=line.text,
            )
        )  # fmt: skip
    db.session.flush()
    result.statements.append(statement)
    result.added += len(new)
