"""CSV files for spreadsheets: written row by row, with text that a spreadsheet would
run as a formula made harmless (OWASP "CSV injection")."""

import csv
import io
import re
from collections.abc import Iterable, Iterator

# A cell starting with one of these is a formula to a spreadsheet (TAB and CR too: some
# skip them and read the = after); full-width forms are read as the plain ones by some.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text row by row (for streaming), Windows line ends as spreadsheets expect; every
    cell goes through safe_cell()."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in [header, *rows]:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()


def safe_cell(value):
    """Text a spreadsheet would run as a formula is quoted with a '; plain numbers (a
    negative amount) are left as they are."""
    risky = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    return "'" + value if risky and not PLAIN_NUMBER.fullmatch(value) else value
