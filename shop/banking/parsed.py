"""A statement as read from the bank's file, before anything is stored."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from shop.banking.errors import BankingError
from shop.clock import FIRST_DAY, LAST_DAY
from shop.money import minor_unit_factor

MAX_FILE_BYTES = 5 * 1024 * 1024  # a month of a small business's bank is a few kilobytes
# What a bank statement can hold, so that what is stored fits its columns (a 64-bit amount,
# an account number of 60 characters) and matching can look days either side of a line.
MAX_CENTS = 10**15  # ten trillion dollars
MAX_ACCOUNT_NUMBER = 60


@dataclass(frozen=True)
class ParsedLine:
    bank_ref: str  # the bank's own transaction id (OFX FITID, camt AcctSvcrRef)
    booked_on: date
    amount: int  # minor units; money in > 0, out < 0
    text: str


@dataclass
class ParsedStatement:
    file_format: str
    account_number: str
    currency: str
    date_from: date
    date_to: date
    opening_balance: int
    closing_balance: int
    lines: list[ParsedLine] = field(default_factory=list)


def cents(amount, currency: str, what: str) -> int:
    """A bank's decimal amount in minor units, exactly: a bank never sends a half cent."""
    try:
        value = Decimal(str(amount).strip()) * minor_unit_factor(currency)
    except (InvalidOperation, ValueError) as exc:
        raise _not_an_amount(what, amount) from exc
    if not value.is_finite():  # Infinity and NaN are decimals too
        raise _not_an_amount(what, amount)
    if abs(value) > MAX_CENTS:
        raise BankingError(
            f"The file's {what} {amount} is more than a bank statement holds. Nothing was "
            "imported.",
            field="file",
        )
    if value != value.to_integral_value():
        raise BankingError(
            f"The file's {what} {amount} has more decimals than {currency} has.", field="file"
        )
    return int(value)


def _not_an_amount(what: str, amount) -> BankingError:
    return BankingError(
        f"The file's {what} {amount!r} is not an amount. Nothing was imported.", field="file"
    )


def _repeated(refs: list[str]) -> str | None:
    seen = set()
    for ref in refs:
        if ref in seen:
            return ref
        seen.add(ref)
    return None


def check_statement(statement: ParsedStatement) -> None:
    """Refuse what no bank sends: a day at the calendar's edge, an account number too long,
    one transaction id on two lines."""
    if len(statement.account_number) > MAX_ACCOUNT_NUMBER:
        raise BankingError(
            f"The account number of this statement is longer than {MAX_ACCOUNT_NUMBER} "
            "characters. Nothing was imported.",
            field="file",
        )
    texts = [statement.account_number, *(x.text + x.bank_ref for x in statement.lines)]
    if any("\x00" in text for text in texts):  # no database text column holds one
        raise BankingError(
            "The file holds a NUL character in a name or a reference. Nothing was imported.",
            field="file",
        )
    twice = _repeated([x.bank_ref for x in statement.lines])
    if twice is not None:  # keeping one would drop the other's money
        raise BankingError(
            f"The file names the transaction id {twice} twice; ask the bank for a corrected "
            "file. Nothing was imported.",
            field="file",
        )
    days = [statement.date_from, statement.date_to, *(x.booked_on for x in statement.lines)]
    for day in days:
        if not FIRST_DAY <= day <= LAST_DAY:
            raise BankingError(
                f"The file's date {day} is not a day a bank statement holds. Nothing was imported.",
                field="file",
            )


def check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise BankingError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; a bank statement "
            "is much smaller. Nothing was imported.",
            field="file",
        )
    if not data.strip():
        raise BankingError("The file is empty. Nothing was imported.", field="file")
