"""A statement as read from the bank's file, before anything is stored."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from shop.banking.errors import BankingError
from shop.money import minor_unit_factor

MAX_FILE_BYTES = 5 * 1024 * 1024  # a month of a small business's bank is a few kilobytes


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
        raise BankingError(f"The file's {what} {amount!r} is not an amount.", field="file") from exc
    if value != value.to_integral_value():
        raise BankingError(
            f"The file's {what} {amount} has more decimals than {currency} has.", field="file"
        )
    return int(value)


def check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise BankingError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; a bank statement "
            "is much smaller. Nothing was imported.",
            field="file",
        )
    if not data.strip():
        raise BankingError("The file is empty. Nothing was imported.", field="file")
