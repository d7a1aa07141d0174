"""The books as files: the journal as CSV and as a Beancount ledger, the invoice list as CSV.

Amounts are written as decimals made from integer minor units (never floats).
Each export is produced row by row from a streamed query.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask import current_app

from shop.accounting.models import ASSET, EQUITY, EXPENSE, INCOME, LIABILITY, Account, JournalEntry
from shop.billing.models import STATUS_LABELS
from shop.books import ledgers
from shop.clock import store_date
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


def journal_csv(filters: ledgers.JournalFilters) -> Iterator[str]:
    """One row per journal line, with its entry's date, source and description."""
    currency = _currency()

    def rows():
        for r in ledgers.journal_lines(filters):
            yield [
                r.entry_id, r.date.isoformat(), r.source_type, r.source_key,
                r.description, r.order_number or "", r.account_code,
                r.account_name, _amount(r.debit, currency) if r.debit else "",
                _amount(r.credit, currency) if r.credit else "", r.memo,
            ]  # fmt: skip

    return csv_lines(JOURNAL_COLUMNS, rows())


# --- invoice list CSV -------------------------------------------------------------


def invoices_csv(filters: ledgers.InvoiceFilters) -> Iterator[str]:
    def rows():
        for inv in ledgers.invoice_rows(filters):
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


def beancount(filters: ledgers.JournalFilters) -> Iterator[str]:
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
    for r in ledgers.journal_lines(filters):
        if r.entry_id != entry_id:
            entry_id = r.entry_id
            yield f"\n{r.date.isoformat()} * {_quoted(r.description)}\n"
            yield f"  source: {_quoted(r.source_key)}\n"
            if r.order_number:
                yield f"  order: {_quoted(r.order_number)}\n"
        minor = r.debit - r.credit
        yield f"  {by_code[r.account_code]}  {_amount(minor, currency)} {currency}\n"


# --- QuickBooks Online and Xero -----------------------------------------------------

# QuickBooks Online, Import data > Journal entries: lines of one entry share a journal
# number; accounts are matched by name (turn account numbers off in QuickBooks first);
# the date format is chosen on the import screen (dd/MM/yyyy here). Name is the customer
# or supplier QuickBooks asks for on receivable and payable lines: left empty.
QUICKBOOKS_COLUMNS = [
    "Journal No", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name",
]  # fmt: skip
# Xero, Manual journals > Import: lines of one journal share narration and date; the
# account by its code; a positive amount is a debit, a negative one a credit; TaxRate is
# required: the journal's amounts already hold their tax, so no rate applies. Xero takes
# up to 300 lines a file: export a month at a time.
XERO_COLUMNS = [
    "*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
    "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2",
]  # fmt: skip
XERO_TAX_RATE = "Tax Exempt"


def _line_text(r) -> str:
    return f"{r.description} - {r.memo}" if r.memo else r.description


def quickbooks_csv(filters: ledgers.JournalFilters) -> Iterator[str]:
    """The journal as QuickBooks Online's journal entry import reads it."""
    currency = _currency()

    def rows():
        for r in ledgers.journal_lines(filters):
            yield [
                f"JE-{r.entry_id}", r.date.strftime("%d/%m/%Y"), r.account_name,
                _amount(r.debit, currency) if r.debit else "",
                _amount(r.credit, currency) if r.credit else "", _line_text(r), "",
            ]  # fmt: skip

    return csv_lines(QUICKBOOKS_COLUMNS, rows())


def xero_csv(filters: ledgers.JournalFilters) -> Iterator[str]:
    """The journal as Xero's manual journal import reads it (one narration per entry)."""
    currency = _currency()

    def rows():
        for r in ledgers.journal_lines(filters):
            yield [
                f"Entry {r.entry_id}: {r.description}", r.date.strftime("%d/%m/%Y"),
                r.memo or r.description, r.account_code, XERO_TAX_RATE,
                _amount(r.debit - r.credit, currency), "", "", "", "",
            ]  # fmt: skip

    return csv_lines(XERO_COLUMNS, rows())


# --- the statements and returns as CSV ----------------------------------------------


def _money(minor: int | None, currency: str) -> str:
    return "" if minor is None else _amount(minor, currency)


def profit_and_loss_csv(report) -> Iterator[str]:
    """The P&L as rows: section, account code, account, amount (and the previous period)."""
    currency = _currency()
    header = ["section", "account_code", "account", "amount"]
    if report.compared:
        header.append("previous")

    def row(section, code, label, amount, previous):
        cells = [section, code, label, _money(amount, currency)]
        return cells + [_money(previous, currency)] if report.compared else cells

    def rows():
        for section in (report.revenue, report.cost_of_goods, report.expenses):
            for r in section.rows:
                yield row(section.title, r.account.code, r.label, r.amount, r.previous)
            yield row(section.title, "", f"Total {section.title.lower()}", section.total,
                      section.previous_total)  # fmt: skip
            if section is report.cost_of_goods:
                yield row("", "", "Gross profit", report.gross_profit,
                          report.previous_gross_profit)  # fmt: skip
        yield row("", "", "Net income", report.net_income, report.previous_net_income)

    return csv_lines(header, rows())


def balance_sheet_csv(report) -> Iterator[str]:
    currency = _currency()

    def rows():
        for section in (report.assets, report.liabilities, report.equity):
            for r in section.rows:
                code = r.account.code if r.account is not None else ""
                yield [section.title, code, r.label, _amount(r.amount, currency)]
            yield [section.title, "", f"Total {section.title.lower()}",
                   _amount(section.total, currency)]  # fmt: skip
        yield ["", "", "Total liabilities and equity",
               _amount(report.liabilities_and_equity, currency)]  # fmt: skip

    return csv_lines(["section", "account_code", "account", "amount"], rows())


def trial_balance_csv(report) -> Iterator[str]:
    currency = _currency()

    def rows():
        for r in report.rows:
            yield [
                r.account.code, r.account.name, r.account.type, _amount(r.opening, currency),
                _amount(r.debits, currency), _amount(r.credits, currency),
                _amount(r.closing, currency),
            ]  # fmt: skip
        yield ["", "Total", "", _amount(report.opening, currency),
               _amount(report.debits, currency), _amount(report.credits, currency),
               _amount(report.closing, currency)]  # fmt: skip

    header = ["account_code", "account", "type", "opening", "debits", "credits", "closing"]
    return csv_lines(header, rows())


def tax_return_csv(report) -> Iterator[str]:
    currency = _currency()
    rows = ([x.number, x.label, _amount(x.amount, currency)] for x in report.lines)
    return csv_lines(["line", "description", "amount"], rows)


def pst_csv(rows) -> Iterator[str]:
    currency = _currency()
    body = (
        [r.province, _amount(r.taxable, currency), _amount(r.collected, currency)] for r in rows
    )
    return csv_lines(["province", "sales_into_province", "pst_collected"], body)
