"""A report's table: typed columns and rows, shown as HTML and exported as CSV from the
same rows, so the file always matches the page."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app

from shop.csv_export import csv_lines
from shop.money import to_decimal

TEXT, INTEGER, MONEY, PERCENT, DATE, NUMBER = (
    "text",
    "integer",
    "money",
    "percent",
    "date",
    "number",
)
RATE = "rate"  # a tax rate: a percent shown with every decimal it has (QST 9.975%)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        return self.kind in (INTEGER, MONEY, PERCENT, NUMBER, RATE)


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    totals: dict | None = None  # a last row, keyed like the rows
    links: dict[str, str] = field(default_factory=dict)  # column key -> row key holding a URL

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def ratio(part, whole) -> Decimal | None:
    """part / whole as a Decimal fraction (0.1234 is 12.34%), None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def change(current, previous) -> Decimal | None:
    """How much current moved against previous, as a fraction; None without a base."""
    if not previous:
        return None
    return ratio(Decimal(current) - Decimal(previous), previous)


def csv_cell(value, kind: str) -> str:
    """A cell as a spreadsheet reads it: money and rates as plain decimals."""
    if value is None:
        return ""
    if kind == MONEY:
        return f"{to_decimal(int(value), current_app.config['BASE_CURRENCY']):f}"
    if kind == PERCENT:
        return f"{(Decimal(value) * 100).quantize(Decimal('0.1')):f}"
    if kind == RATE:
        return f"{(Decimal(value) * 100).normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_csv(table: Table) -> str:
    header = [c.label + (" (%)" if c.kind in (PERCENT, RATE) else "") for c in table.columns]
    rows = [[csv_cell(row.get(c.key), c.kind) for c in table.columns] for row in table.rows]
    if table.totals:
        rows.append([csv_cell(table.totals.get(c.key), c.kind) for c in table.columns])
    return "".join(csv_lines(header, rows))
