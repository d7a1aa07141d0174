"""Accounts payable aging: what is owed to each supplier, by how long it is past due.

The figures are the open amounts of unpaid bills today, so their total is the
balance of the accounts payable account (shop.payables.checks.payable_difference
says by how much it is not). Each bucket is a range of days past the due date;
the bills list filters by the same ranges, so each figure links to its bills.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.csv_export import csv_lines
from shop.extensions import db
from shop.money import to_decimal
from shop.payables import models as m

# key, label, first and last day past due (None: no end)
BUCKETS = [
    ("current", "Current", None, 0),
    ("1-30", "1-30 days", 1, 30),
    ("31-60", "31-60 days", 31, 60),
    ("61-90", "61-90 days", 61, 90),
    ("over-90", "Over 90 days", 91, None),
]
KEYS = [key for key, *_ in BUCKETS]


def bucket_of(due: date, today: date) -> str:
    days = (today - due).days
    for key, _, first, last in BUCKETS:
        if (first is None or days >= first) and (last is None or days <= last):
            return key
    raise AssertionError(days)  # the buckets cover every day


def due_between(key: str, today: date) -> list:
    """Conditions on the due date for the bills of a bucket."""
    _, _, first, last = next(b for b in BUCKETS if b[0] == key)
    conditions = []
    if first is not None:  # at least `first` days past due: due on or before today - first
        conditions.append(m.SupplierBill.due_date <= today - timedelta(days=first))
    if last is not None:
        conditions.append(m.SupplierBill.due_date >= today - timedelta(days=last))
    return conditions


@dataclass
class Row:
    supplier_id: int | None
    name: str
    amounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KEYS, 0))

    @property
    def total(self) -> int:
        return sum(self.amounts.values())


@dataclass
class Aging:
    today: date
    rows: list[Row]
    totals: Row


def aging(today: date) -> Aging:
    bills = db.session.scalars(
        sa.select(m.SupplierBill)
        .where(m.SupplierBill.status.in_(m.UNPAID))
        .options(selectinload(m.SupplierBill.supplier))
    )
    rows: dict[int, Row] = {}
    totals = Row(None, "Total")
    for bill in bills:
        row = rows.setdefault(bill.supplier_id, Row(bill.supplier_id, bill.supplier.name))
        key = bucket_of(bill.due_date, today)
        row.amounts[key] += bill.open_amount
        totals.amounts[key] += bill.open_amount
    return Aging(today, sorted(rows.values(), key=lambda r: r.name.lower()), totals)


def aging_csv(report: Aging, currency: str):
    def amounts(row: Row) -> list:
        values = [row.amounts[key] for key in KEYS] + [row.total]
        return [str(to_decimal(v, currency)) for v in values]

    header = ["Supplier", *[label for _, label, *_ in BUCKETS], "Total"]
    rows = [[row.name, *amounts(row)] for row in report.rows]
    rows.append([report.totals.name, *amounts(report.totals)])
    return csv_lines(header, rows)
