"""The financial statements: profit and loss for any days, the balance sheet at any day.

Both read accounts by type and role (never by code), one GROUP BY over the journal
each, so entries posted by any part of the store (sales, stock, bills, payouts,
manual entries) land in them without the statements knowing those parts.

The year's earnings: the store never posts closing entries. The balance sheet shows
equity with two figures worked from the income and expense accounts: "Earnings of
earlier years" (every income less expense before the fiscal year of the day, added
to the Retained earnings account's own balance) and "Current earnings" (the fiscal
year to date). The fiscal year is the calendar year. Should the bookkeeper close a
year to Retained earnings by a manual entry, the income and expense accounts net to
zero for it and the figures move into the account's balance: nothing is counted twice.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from shop.accounting import chart
from shop.accounting.models import (
    ASSET,
    EQUITY,
    EXPENSE,
    INCOME,
    LIABILITY,
    Account,
    JournalLine,
)
from shop.extensions import db

# Expense roles counted in cost of goods sold (above gross profit): what stock cost.
COST_OF_GOODS_ROLES = (chart.COGS, chart.SHRINKAGE, chart.PRICE_VARIANCE, chart.REVALUATION)


def without_jit() -> None:
    """PostgreSQL would compile the big sums of the statements to machine code (JIT) for
    seconds when they run in well under one: off for the rest of this transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))


def natural_sign(account_type: str) -> int:
    """+1 for accounts whose balance is normally a debit (assets, expenses), else -1."""
    return 1 if account_type in (ASSET, EXPENSE) else -1


def _int(value) -> int:
    return int(value or 0)


def balances_by_account(
    date_from: date | None, date_to: date | None, types: tuple[str, ...] | None = None
) -> dict[int, int]:
    """Debits less credits per account over the days (either end open), one GROUP BY over
    the lines alone (each carries its entry's date; an index on account and date)."""
    without_jit()
    query = sa.select(
        JournalLine.account_id, sa.func.sum(JournalLine.debit - JournalLine.credit)
    ).group_by(JournalLine.account_id)
    if date_from is not None:
        query = query.where(JournalLine.date >= date_from)
    if date_to is not None:
        query = query.where(JournalLine.date <= date_to)
    if types is not None:  # the ids themselves: PostgreSQL reads just their index ranges
        ids = db.session.scalars(sa.select(Account.id).where(Account.type.in_(types)))
        query = query.where(JournalLine.account_id.in_(list(ids)))
    return {account_id: _int(total) for account_id, total in db.session.execute(query)}


def _accounts(types: tuple[str, ...]) -> list[Account]:
    return list(
        db.session.scalars(sa.select(Account).where(Account.type.in_(types)).order_by(Account.code))
    )


# --- profit and loss ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One account's figure in its natural sign (income as credits, expenses as debits)."""

    account: Account | None
    label: str
    amount: int
    previous: int | None = None  # the comparison period's figure


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.rows)

    @property
    def previous_total(self) -> int:
        return sum(r.previous or 0 for r in self.rows)


@dataclass(frozen=True)
class ProfitAndLoss:
    date_from: date
    date_to: date
    previous_from: date | None  # the comparison period, if asked for
    previous_to: date | None
    revenue: Section
    cost_of_goods: Section
    expenses: Section

    @property
    def compared(self) -> bool:
        return self.previous_from is not None

    def _role(self, role: str, previous: bool = False) -> int:
        for row in self.revenue.rows:
            if row.account is not None and row.account.role == role:
                return (row.previous or 0) if previous else row.amount
        return 0

    @property
    def sales(self) -> int:
        return self._role(chart.SALES)

    @property
    def returns(self) -> int:
        """Refunds and returns as a positive figure taken off sales."""
        return -self._role(chart.REFUNDS)

    @property
    def shipping(self) -> int:
        return self._role(chart.SHIPPING_INCOME)

    @property
    def gross_profit(self) -> int:
        return self.revenue.total - self.cost_of_goods.total

    @property
    def net_income(self) -> int:
        return self.gross_profit - self.expenses.total

    @property
    def previous_gross_profit(self) -> int:
        return self.revenue.previous_total - self.cost_of_goods.previous_total

    @property
    def previous_net_income(self) -> int:
        return self.previous_gross_profit - self.expenses.previous_total


def previous_period(date_from: date, date_to: date) -> tuple[date, date]:
    """The period just before: the same number of whole months when the period is whole
    months (March -> February, a quarter -> the quarter before), else as many days."""
    if date_from.day == 1 and (date_to + timedelta(days=1)).day == 1:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        index = date_from.year * 12 + date_from.month - 1 - months
        start = date(index // 12, index % 12 + 1, 1)
        return start, date_from - timedelta(days=1)
    days = (date_to - date_from).days + 1
    return date_from - timedelta(days=days), date_from - timedelta(days=1)


def profit_and_loss(date_from: date, date_to: date, *, compare: bool = False) -> ProfitAndLoss:
    """Income and expense accounts with their net for the days; gross profit is sales less
    returns plus shipping (all income) less cost of goods; net income less the expenses."""
    types = (INCOME, EXPENSE)
    now = balances_by_account(date_from, date_to, types)
    previous_from = previous_to = None
    before: dict[int, int] = {}
    if compare:
        previous_from, previous_to = previous_period(date_from, date_to)
        before = balances_by_account(previous_from, previous_to, types)
    revenue = Section("revenue", "Revenue")
    cost = Section("cost_of_goods", "Cost of goods sold")
    expenses = Section("expenses", "Expenses")
    for account in _accounts(types):
        if account.id not in now and account.id not in before and account.role is None:
            continue  # an account of the owner's never used in either period
        sign = natural_sign(account.type)
        row = Row(
            account, account.name, sign * now.get(account.id, 0),
            sign * before.get(account.id, 0) if compare else None,
        )  # fmt: skip
        if account.type == INCOME:
            revenue.rows.append(row)
        elif account.role in COST_OF_GOODS_ROLES:
            cost.rows.append(row)
        else:
            expenses.rows.append(row)
    return ProfitAndLoss(date_from, date_to, previous_from, previous_to, revenue, cost, expenses)


# --- the balance sheet ----------------------------------------------------------------


@dataclass(frozen=True)
class BalanceSheet:
    at: date
    year_start: date
    assets: Section
    liabilities: Section
    equity: Section

    @property
    def last_year_end(self) -> date:
        return self.year_start - timedelta(days=1)

    @property
    def liabilities_and_equity(self) -> int:
        return self.liabilities.total + self.equity.total

    @property
    def balances(self) -> bool:
        return self.assets.total == self.liabilities_and_equity

    def equity_row(self, key: str) -> int:
        return next(r.amount for r in self.equity.rows if r.label == key)


EARLIER_EARNINGS = "Earnings of earlier years"
CURRENT_EARNINGS = "Current earnings"


def fiscal_year_start(day: date) -> date:
    return date(day.year, 1, 1)


def balance_sheet(at: date) -> BalanceSheet:
    """Every account's balance at the end of the day: assets = liabilities + equity, with
    equity including the earnings not closed to retained earnings (see the module)."""
    without_jit()
    year_start = fiscal_year_start(at)
    amount = JournalLine.debit - JournalLine.credit
    query = (
        sa.select(
            JournalLine.account_id,
            sa.func.sum(amount),
            sa.func.sum(sa.case((JournalLine.date < year_start, amount), else_=0)),
        )
        .where(JournalLine.date <= at)
        .group_by(JournalLine.account_id)
    )
    totals, earlier = {}, {}
    for account_id, total, before_year in db.session.execute(query):
        totals[account_id], earlier[account_id] = _int(total), _int(before_year)
    assets = Section("assets", "Assets")
    liabilities = Section("liabilities", "Liabilities")
    equity = Section("equity", "Equity")
    earlier_earnings = current_earnings = 0
    for account in _accounts((ASSET, LIABILITY, EQUITY, INCOME, EXPENSE)):
        balance = totals.get(account.id, 0)
        if account.type in (INCOME, EXPENSE):
            earlier_earnings -= earlier.get(account.id, 0)
            current_earnings -= balance - earlier.get(account.id, 0)
            continue
        if account.id not in totals and account.role is None:
            continue
        row = Row(account, account.name, natural_sign(account.type) * balance)
        {ASSET: assets, LIABILITY: liabilities, EQUITY: equity}[account.type].rows.append(row)
    equity.rows.append(Row(None, EARLIER_EARNINGS, earlier_earnings))
    equity.rows.append(Row(None, CURRENT_EARNINGS, current_earnings))
    return BalanceSheet(at, year_start, assets, liabilities, equity)
