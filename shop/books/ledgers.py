"""Reading the books: the journal, an account's ledger, the trial balance, tax collected,
and the invoice list. Every figure is summed by the database; nothing writes.

Amounts are integer minor units of the base currency. A "balance" is debits
minus credits, so the balances of all accounts add up to zero.

Tax collected is read from the journal's tax-payable accounts (what the books
say is owed), each line placed in a province by the ship-to province of the
entry's order (the place of supply); invoices and credit notes add the taxable
base beside it. Both come from the same frozen invoice figures, so they agree
unless someone posts a manual entry to a tax account, which shows on its own row.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.accounting.statements import natural_sign, without_jit
from shop.billing.models import Invoice, InvoiceTax
from shop.clock import local_midnight
from shop.db import Page
from shop.extensions import db
from shop.orders.models import Order

PER_PAGE = 50
LEDGER_PER_PAGE = 100
MAX_SEARCH_WORDS = 8
TAX_ROLE_PREFIX = "tax:"


def _int(value) -> int:
    """A SUM as an int (PostgreSQL gives Decimal for sums of bigint, SQLite int or None)."""
    return int(value or 0)


# --- the journal ------------------------------------------------------------------


@dataclass(frozen=True)
class JournalFilters:
    date_from: date | None = None
    date_to: date | None = None
    account_id: int | None = None
    source_type: str | None = None


def _journal_conditions(filters: JournalFilters) -> list:
    conditions = []
    if filters.date_from is not None:
        conditions.append(JournalEntry.date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(JournalEntry.date <= filters.date_to)
    if filters.source_type:
        conditions.append(JournalEntry.source_type == filters.source_type)
    if filters.account_id is not None:
        conditions.append(
            sa.exists().where(
                JournalLine.entry_id == JournalEntry.id,
                JournalLine.account_id == filters.account_id,
            )
        )
    return conditions


def journal(filters: JournalFilters, *, page: int = 1, per_page: int = PER_PAGE):
    """Entries newest first (by date, then the latest made), each with its lines and their
    accounts (one query per page each): today's work is on the first page. The exports
    (journal_lines) stay oldest first, as a ledger is read."""
    query = (
        sa.select(JournalEntry)
        .where(*_journal_conditions(filters))
        .options(
            selectinload(JournalEntry.lines).selectinload(JournalLine.account),
            selectinload(JournalEntry.user),
        )
        .order_by(JournalEntry.date.desc(), JournalEntry.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def journal_totals(filters: JournalFilters) -> tuple[int, int, int]:
    """(entries, debits, credits) of the entries the filters select."""
    entries = sa.select(JournalEntry.id).where(*_journal_conditions(filters)).subquery()
    row = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(JournalLine.entry_id)),
            sa.func.sum(JournalLine.debit),
            sa.func.sum(JournalLine.credit),
        ).where(JournalLine.entry_id.in_(sa.select(entries.c.id)))
    ).one()
    return _int(row[0]), _int(row[1]), _int(row[2])


def journal_lines(filters: JournalFilters):
    """Every line of the selected entries with its entry and account, streamed for exports."""
    query = (
        sa.select(
            JournalEntry.id.label("entry_id"),
            JournalEntry.date,
            JournalEntry.source_type,
            JournalEntry.source_key,
            JournalEntry.description,
            Order.number.label("order_number"),
            Account.code.label("account_code"),
            Account.name.label("account_name"),
            Account.type.label("account_type"),
            JournalLine.debit,
            JournalLine.credit,
            JournalLine.memo,
        )
        .select_from(JournalLine)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.id == JournalLine.account_id)
        .outerjoin(Order, Order.id == JournalEntry.order_id)
        .where(*_journal_conditions(filters))
        .order_by(JournalEntry.date, JournalEntry.id, JournalLine.id)
        .execution_options(yield_per=500)
    )
    return db.session.execute(query)


def source_types() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(JournalEntry.source_type).distinct().order_by(JournalEntry.source_type)
        )
    )


# --- one account's ledger ---------------------------------------------------------


@dataclass
class Ledger:
    account: Account
    date_from: date | None
    date_to: date | None
    opening: int  # debits minus credits before the first day
    debits: int  # in the range
    credits: int
    lines: Page = field(default_factory=lambda: Page([], 1, LEDGER_PER_PAGE, 0))

    @property
    def sign(self) -> int:
        return natural_sign(self.account.type)

    @property
    def closing(self) -> int:
        return self.opening + self.debits - self.credits


def account_ledger(
    account: Account, date_from: date | None = None, date_to: date | None = None,
    *, page: int = 1, per_page: int = LEDGER_PER_PAGE,
) -> Ledger:  # fmt: skip
    """The account's lines in the range with a running balance (debits minus credits),
    starting from its opening balance; the running sum is a window function in SQL."""
    line_of_account = JournalLine.account_id == account.id
    opening = 0
    if date_from is not None:
        before = (
            sa.select(sa.func.sum(JournalLine.debit - JournalLine.credit))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(line_of_account, JournalEntry.date < date_from)
        )
        opening = _int(db.session.scalar(before))

    in_range = [line_of_account]
    if date_from is not None:
        in_range.append(JournalEntry.date >= date_from)
    if date_to is not None:
        in_range.append(JournalEntry.date <= date_to)
    totals = db.session.execute(
        sa.select(
            sa.func.count(JournalLine.id),
            sa.func.sum(JournalLine.debit),
            sa.func.sum(JournalLine.credit),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(*in_range)
    ).one()

    order = (JournalEntry.date, JournalEntry.id, JournalLine.id)
    numbered = (
        sa.select(
            JournalLine.id.label("line_id"),
            JournalEntry.id.label("entry_id"),
            JournalEntry.date,
            JournalEntry.description,
            JournalEntry.source_type,
            JournalLine.memo,
            JournalLine.debit,
            JournalLine.credit,
            sa.func.sum(JournalLine.debit - JournalLine.credit).over(order_by=order).label("run"),
            sa.func.row_number().over(order_by=order).label("n"),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(*in_range)
        .subquery()
    )
    page = max(page, 1)
    rows = db.session.execute(
        sa.select(numbered)
        .where(numbered.c.n > (page - 1) * per_page, numbered.c.n <= page * per_page)
        .order_by(numbered.c.n)
    ).all()
    items = [LedgerLine.from_row(row, opening) for row in rows]
    return Ledger(
        account=account, date_from=date_from, date_to=date_to, opening=opening,
        debits=_int(totals[1]), credits=_int(totals[2]),
        lines=Page(items, page, per_page, _int(totals[0])),
    )  # fmt: skip


@dataclass(frozen=True)
class LedgerLine:
    entry_id: int
    date: date
    description: str
    source_type: str
    memo: str
    debit: int
    credit: int
    balance: int  # debits minus credits up to and including this line

    @classmethod
    def from_row(cls, row, opening: int) -> "LedgerLine":
        return cls(
            entry_id=row.entry_id, date=row.date, description=row.description,
            source_type=row.source_type, memo=row.memo, debit=int(row.debit),
            credit=int(row.credit), balance=opening + _int(row.run),
        )  # fmt: skip


# --- the trial balance ------------------------------------------------------------


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    opening: int
    debits: int
    credits: int

    @property
    def closing(self) -> int:
        return self.opening + self.debits - self.credits


@dataclass(frozen=True)
class TrialBalance:
    date_from: date | None
    date_to: date | None
    rows: list[TrialBalanceRow]

    @property
    def opening(self) -> int:
        return sum(r.opening for r in self.rows)

    @property
    def debits(self) -> int:
        return sum(r.debits for r in self.rows)

    @property
    def credits(self) -> int:
        return sum(r.credits for r in self.rows)

    @property
    def closing(self) -> int:
        return sum(r.closing for r in self.rows)

    @property
    def balances(self) -> bool:
        return self.opening == 0 and self.closing == 0 and self.debits == self.credits


def trial_balance(date_from: date | None = None, date_to: date | None = None) -> TrialBalance:
    """Per account: the balance before the range, its debits and credits in the range, and
    the balance at its end; one GROUP BY over the lines. Accounts never used are left out."""
    without_jit()
    amount = JournalLine.debit - JournalLine.credit
    if date_from is not None:
        before = JournalLine.date < date_from
        opening = sa.func.sum(sa.case((before, amount), else_=0))
        debits = sa.func.sum(sa.case((before, 0), else_=JournalLine.debit))
        credits = sa.func.sum(sa.case((before, 0), else_=JournalLine.credit))
    else:
        opening = sa.literal(0)
        debits, credits = sa.func.sum(JournalLine.debit), sa.func.sum(JournalLine.credit)
    sums = sa.select(
        JournalLine.account_id, opening.label("opening"), debits.label("debits"),
        credits.label("credits"),
    )  # fmt: skip
    if date_to is not None:
        sums = sums.where(JournalLine.date <= date_to)
    sums = sums.group_by(JournalLine.account_id).subquery()
    rows = db.session.execute(
        sa.select(Account, sums.c.opening, sums.c.debits, sums.c.credits)
        .join(sums, sums.c.account_id == Account.id)
        .order_by(Account.code)
    ).all()
    return TrialBalance(
        date_from=date_from,
        date_to=date_to,
        rows=[TrialBalanceRow(a, _int(o), _int(d), _int(c)) for a, o, d, c in rows],
    )


# --- tax collected ----------------------------------------------------------------


@dataclass
class TaxRow:
    component: str
    province: str | None  # None: a manual entry to a tax account, not tied to an order
    charged: int = 0  # credits to the tax account: tax on sales
    refunded: int = 0  # debits: tax given back on credit notes (and other reversals)
    taxable: int = 0  # the taxable base on invoices less credit notes
    invoiced: int = 0  # the tax on invoices less credit notes

    @property
    def collected(self) -> int:
        return self.charged - self.refunded


@dataclass(frozen=True)
class TaxReport:
    date_from: date | None
    date_to: date | None
    rows: list[TaxRow]

    def total(self, component: str | None = None) -> int:
        return sum(r.collected for r in self.rows if component in (None, r.component))

    @property
    def components(self) -> list[str]:
        return sorted({r.component for r in self.rows})


def tax_collected(
    date_from: date | None = None, date_to: date | None = None, component_only: str | None = None
) -> TaxReport:
    """Tax per component and ship-to province, from the tax-payable accounts of the journal,
    with the taxable base from the invoices and credit notes issued in the same days
    (component_only: of that component alone, e.g. "PST")."""
    component = sa.func.substr(Account.role, len(TAX_ROLE_PREFIX) + 1)
    books = (
        sa.select(
            component,
            Order.ship_province,
            sa.func.sum(JournalLine.credit),
            sa.func.sum(JournalLine.debit),
        )  # fmt: skip
        .select_from(JournalLine)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.id == JournalLine.account_id)
        .outerjoin(Order, Order.id == JournalEntry.order_id)
        .where(Account.role.like(f"{TAX_ROLE_PREFIX}%"))
        .group_by(component, Order.ship_province)
    )
    if component_only is not None:  # by the account's id: PostgreSQL reads its index range
        role = f"{TAX_ROLE_PREFIX}{component_only}"
        account_id = db.session.scalar(sa.select(Account.id).where(Account.role == role))
        books = books.where(JournalLine.account_id == account_id)
    if date_from is not None:
        books = books.where(JournalLine.date >= date_from)
    if date_to is not None:
        books = books.where(JournalLine.date <= date_to)
    rows: dict[tuple, TaxRow] = {}
    for comp, province, credits, debits in db.session.execute(books):
        row = rows.setdefault((comp, province), TaxRow(comp, province))
        row.charged, row.refunded = _int(credits), _int(debits)

    invoiced = (
        sa.select(
            InvoiceTax.component,
            Invoice.ship_province,
            sa.func.sum(InvoiceTax.taxable),
            sa.func.sum(InvoiceTax.amount),
        )  # fmt: skip
        .join(Invoice, Invoice.id == InvoiceTax.invoice_id)
        .where(*_issued_between(date_from, date_to))
        .group_by(InvoiceTax.component, Invoice.ship_province)
    )
    if component_only is not None:
        invoiced = invoiced.where(InvoiceTax.component == component_only)
    for comp, province, taxable, amount in db.session.execute(invoiced):
        row = rows.setdefault((comp, province), TaxRow(comp, province))
        row.taxable, row.invoiced = _int(taxable), _int(amount)
    ordered = sorted(rows.values(), key=lambda r: (r.component, r.province is None, r.province))
    return TaxReport(date_from, date_to, ordered)


# --- invoices ---------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFilters:
    text: str = ""
    kind: str | None = None
    status: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None


def _issued_between(issued_from: date | None, issued_to: date | None) -> list:
    """Invoices issued on these days in the store's time zone (the days the books use)."""
    conditions = []
    if issued_from is not None:
        conditions.append(Invoice.issued_at >= local_midnight(issued_from))
    if issued_to is not None and issued_to < date.max:  # the calendar's last day has no next
        conditions.append(Invoice.issued_at < local_midnight(issued_to + timedelta(days=1)))
    return conditions


def _invoice_conditions(filters: InvoiceFilters) -> list:
    conditions = _issued_between(filters.issued_from, filters.issued_to)
    for word in filters.text.lower().split()[:MAX_SEARCH_WORDS]:
        conditions.append(
            sa.or_(
                sa.func.lower(Invoice.number).contains(word, autoescape=True),
                sa.func.lower(Invoice.customer_email).contains(word, autoescape=True),
            )
        )
    if filters.kind:
        conditions.append(Invoice.kind == filters.kind)
    if filters.status:
        conditions.append(Invoice.status == filters.status)
    return conditions


def invoices(filters: InvoiceFilters, *, page: int = 1, per_page: int = PER_PAGE):
    """Invoices and credit notes newest first (by issue time, then number order)."""
    conditions = _invoice_conditions(filters)
    query = (
        sa.select(Invoice).where(*conditions).order_by(Invoice.issued_at.desc(), Invoice.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


@dataclass(frozen=True)
class InvoiceTotals:
    count: int
    subtotal: int
    shipping: int
    tax: int
    total: int


def invoice_totals(filters: InvoiceFilters) -> InvoiceTotals:
    """The sums of every matching invoice (credit notes count negative), not just one page."""
    row = db.session.execute(
        sa.select(
            sa.func.count(Invoice.id),
            sa.func.sum(Invoice.subtotal),
            sa.func.sum(Invoice.shipping_total),
            sa.func.sum(Invoice.tax_total),
            sa.func.sum(Invoice.total),
        ).where(*_invoice_conditions(filters))
    ).one()
    return InvoiceTotals(*(_int(v) for v in row))


def invoice_rows(filters: InvoiceFilters):
    """Every matching invoice, oldest first, streamed for the CSV export."""
    query = (
        sa.select(Invoice)
        .where(*_invoice_conditions(filters))
        .order_by(Invoice.issued_at, Invoice.id)
        .execution_options(yield_per=500)
    )
    return db.session.scalars(query)
