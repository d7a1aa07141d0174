"""The books as files: the journal as CSV and as a Beancount ledger, the invoice list as CSV.

Amounts are written as decimals made from integer minor units (never floats).
Each export is produced row by row from a streamed query.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask import current_app

from shop.accounting import reports
from shop.accounting.models import ASSET, EQUITY, EXPENSE, INCOME, LIABILITY, Account, JournalEntry
from shop.accounting.services import store_date
from shop.billing.models import STATUS_LABELS
from shop.csv_export import csv_lines
from shop.db import utcnow
from shop.extensions import db
from shop.money import to_decimal

JOURNAL_COLUMNS = [
    "entry", "date", "source_type", "source_key", "description", "order", "account_code",
    "account_name", "debit", "credit", "memo",
]  # fmt: skip
INVOICE_COLUMNS = [
    "number", "kind", "status", "issued", "order", "customer_email", "ship_province",
    "ship_country", "currency", "subtotal", "shipping", "tax", "total", "payment_method",
]  # fmt: skip

BEANCOUNT_ROOTS = {
    ASSET: "Assets",
    LIABILITY: "Liabilities",
    EQUITY: "Equity",
    INCOME: "Income",
    EXPENSE: "Expenses",
}


def _currency() -> str:
    return current_app.config["BASE_CURRENCY"]


def _amount(minor: int, currency: str) -> str:
    return f"{to_decimal(minor, currency):f}"


# --- journal CSV ------------------------------------------------------------------


def journal_csv(filters: reports.JournalFilters) -> Iterator[str]:
    """One row per journal line, with its entry's date, source and description."""
    currency = _currency()

    def rows():
        for r in reports.journal_lines(filters):
            yield [
                r.entry_id, r.date.isoformat(), r.source_type, r.source_key,
                r.description, r.order_number or "", r.account_code,
                r.account_name, _amount(r.debit, currency) if r.debit else "",
                _amount(r.credit, currency) if r.credit else "", r.memo,
            ]  # fmt: skip

    return csv_lines(JOURNAL_COLUMNS, rows())


# --- invoice list CSV -------------------------------------------------------------


def invoices_csv(filters: reports.InvoiceFilters) -> Iterator[str]:
    def rows():
        for inv in reports.invoice_rows(filters):
            cur = inv.currency
            yield [
                inv.number, inv.title, STATUS_LABELS.get(inv.status, inv.status),
                inv.issued_at.isoformat(), inv.order_id, inv.customer_email,
                inv.ship_province, inv.ship_country, cur, _amount(inv.subtotal, cur),
                _amount(inv.shipping_total, cur), _amount(inv.tax_total, cur),
                _amount(inv.total, cur), inv.payment_method,
            ]  # fmt: skip

    return csv_lines(INVOICE_COLUMNS, rows())


# --- Beancount --------------------------------------------------------------------


def _component(text: str) -> str:
    """'Payment processor clearing' -> 'PaymentProcessorClearing': letters and digits only,
    each word capitalised, as a Beancount account name component must be."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_text.replace("'", ""))
    return "".join(w[0].upper() + w[1:] for w in words)


def beancount_names(accounts: Iterable[Account]) -> dict[int, str]:
    """Each account's Beancount name, e.g. Assets:PaymentProcessorClearing; an account whose
    name gives nothing usable, or the same name as another, gets its code added."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for account in sorted(accounts, key=lambda a: a.code):
        root = BEANCOUNT_ROOTS[account.type]
        code = _component(account.code)
        part = _component(account.name) or f"A{code}"
        name = f"{root}:{part}"
        if name in taken:
            name = f"{root}:{part}-{code}"
        taken.add(name)
        names[account.id] = name
    return names


def _quoted(text: str) -> str:
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount(filters: reports.JournalFilters) -> Iterator[str]:
    """A Beancount ledger: an open directive for every account, then one transaction per entry
    with its lines as postings (debits positive, credits negative)."""
    currency = _currency()
    accounts = list(db.session.scalars(sa.select(Account).order_by(Account.code)))
    names = beancount_names(accounts)
    first = db.session.scalar(sa.select(sa.func.min(JournalEntry.date)))
    opened = first or store_date(utcnow())
    store = current_app.config["STORE_NAME"]
    yield f'option "title" {_quoted(store)}\n'
    yield f'option "operating_currency" "{currency}"\n\n'
    for account in accounts:
        yield f"{opened.isoformat()} open {names[account.id]} {currency}\n"
    by_code = {a.code: names[a.id] for a in accounts}

    entry_id = None
    for r in reports.journal_lines(filters):
        if r.entry_id != entry_id:
            entry_id = r.entry_id
            yield f"\n{r.date.isoformat()} * {_quoted(r.description)}\n"
            yield f"  source: {_quoted(r.source_key)}\n"
            if r.order_number:
                yield f"  order: {_quoted(r.order_number)}\n"
        minor = r.debit - r.credit
        yield f"  {by_code[r.account_code]}  {_amount(minor, currency)} {currency}\n"
