"""CSV files for spreadsheets: written row by row, with text that a spreadsheet would
run as a formula made harmless."""

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text row by row (for streaming), Windows line ends as spreadsheets expect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in [header, *rows]:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


def safe_cell(value):
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted with a ';
    numbers (a negative amount) are left as they are."""
    risky = isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r")
    return "'" + value if risky and not _is_number(value) else value


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
