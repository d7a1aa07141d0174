"""Sales tax return worksheets from the journal: the CRA's GST/HST return (GST34), Revenu
Québec's QST return (FP-500) and the PST figures of the provinces that levy their own.

Each line is worked from the tax accounts (found by role: tax:GST, itc:GST, ...), so
tax on supplier bills posted by any part of the store counts as input tax credits.
The lines of a tax account are sorted by what their entry is:

- an entry of an order (a sale, a refund, a late webhook) is tax collected (line 103,
  less tax refunded on credit notes);
- an entry that touches only tax accounts and the bank (tax paid to the government or
  refunded by it, payable set off against credits when the return is filed) settles a
  return and is left out;
- any other entry to a tax account (a manual entry, a supplier bill) is an input tax
  credit when it debits an itc: account (line 106), and an adjustment otherwise
  (lines 104 and 107).

Line 101 (sales and other revenue) is the net of every income account. Lines the
store has nothing for (instalments, rebates, tax on real property) are printed as zero.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from shop.accounting import chart, statements
from shop.accounting.models import INCOME, Account, JournalEntry, JournalLine
from shop.books import ledgers
from shop.extensions import db

MONTHLY, QUARTERLY, YEARLY = "monthly", "quarterly", "yearly"
FREQUENCIES = {MONTHLY: "Monthly", QUARTERLY: "Quarterly", YEARLY: "Yearly"}
PST_PROVINCES = ("BC", "SK", "MB")  # the provinces with a retail sales tax of their own

SALE, SETTLEMENT, CREDIT, ADJUSTMENT = "sale", "settlement", "credit", "adjustment"


def filing_period(frequency: str, day: date) -> tuple[date, date]:
    """The filing period of this frequency that holds the day."""
    if frequency == YEARLY:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    first_month = day.month if frequency == MONTHLY else (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    months = 1 if frequency == MONTHLY else 3
    index = day.year * 12 + first_month - 1 + months
    return start, date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def period_label(frequency: str, start: date) -> str:
    if frequency == YEARLY:
        return str(start.year)
    if frequency == QUARTERLY:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"{start:%B %Y}"


@dataclass(frozen=True)
class Figure:
    """A line's amount and the accounts behind it (for links to their ledgers)."""

    amount: int = 0
    accounts: tuple[Account, ...] = ()

    def __add__(self, other: "Figure") -> "Figure":
        accounts = self.accounts + tuple(a for a in other.accounts if a not in self.accounts)
        return Figure(self.amount + other.amount, accounts)

    def __neg__(self) -> "Figure":
        return Figure(-self.amount, self.accounts)

    def __sub__(self, other: "Figure") -> "Figure":
        return self + (-other)


@dataclass(frozen=True)
class ReturnLine:
    number: str
    label: str
    figure: Figure

    @property
    def amount(self) -> int:
        return self.figure.amount


@dataclass(frozen=True)
class TaxReturn:
    form: str  # "GST34", "FP-500 (QST)"
    date_from: date
    date_to: date
    lines: list[ReturnLine]
    settled: Figure = field(default_factory=Figure)  # left out: payments and returns filed

    def line(self, number: str) -> int:
        return next(x.amount for x in self.lines if x.number == number)


def _classified_sums(date_from: date, date_to: date) -> dict[tuple[int, str], tuple[int, int]]:
    """(debits, credits) per tax account and kind of entry, over the days.

    Two reads: every tax line of the days summed per account from the lines alone (the
    index on account and date), and the few lines of entries without an order, sorted by
    kind; what is left is tax on orders. Joining every sale's entry to sort it would
    cost seconds on a year of a busy store.
    """
    statements.without_jit()
    tax_account = sa.or_(Account.role.like("tax:%"), Account.role.like("itc:%"))
    in_days = (JournalLine.date >= date_from, JournalLine.date <= date_to)
    # The ids themselves, not a subquery: PostgreSQL then reads just their index ranges.
    tax_ids = list(db.session.scalars(sa.select(Account.id).where(tax_account)))
    totals = (
        sa.select(
            JournalLine.account_id, sa.func.sum(JournalLine.debit), sa.func.sum(JournalLine.credit)
        )
        .where(JournalLine.account_id.in_(tax_ids), *in_days)
        .group_by(JournalLine.account_id)
    )
    other = aliased(JournalLine)
    other_account = aliased(Account)
    # A settlement touches nothing but tax accounts and the bank: tax paid to (or refunded
    # by) the government, or payable set off against credits when the return is filed.
    touches_other = sa.exists().where(
        other.entry_id == JournalEntry.id,
        other.account_id == other_account.id,
        sa.or_(
            other_account.role.is_(None),
            sa.and_(
                ~other_account.role.like("tax:%"),
                ~other_account.role.like("itc:%"),
                other_account.role != chart.BANK,
            ),
        ),
    )
    kind = sa.case(
        (~touches_other, SETTLEMENT),
        (Account.role.like("itc:%"), CREDIT),
        else_=ADJUSTMENT,
    ).label("kind")
    without_order = (
        sa.select(
            JournalLine.account_id,
            kind,
            sa.func.sum(JournalLine.debit),
            sa.func.sum(JournalLine.credit),
        )  # fmt: skip
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.id == JournalLine.account_id)
        .where(tax_account, JournalEntry.order_id.is_(None), *in_days)
        .group_by(JournalLine.account_id, kind)
    )
    sums = {}
    left = {a: (int(d or 0), int(c or 0)) for a, d, c in db.session.execute(totals)}
    for account_id, kind_of, debits, credits in db.session.execute(without_order):
        sums[(account_id, kind_of)] = (int(debits or 0), int(credits or 0))
        d, c = left.get(account_id, (0, 0))
        left[account_id] = (d - int(debits or 0), c - int(credits or 0))
    sums.update({(a, SALE): amounts for a, amounts in left.items()})
    return sums


class _Sums:
    """The classified sums read as figures for accounts of given roles."""

    def __init__(self, date_from: date, date_to: date):
        self.sums = _classified_sums(date_from, date_to)
        with_roles = sa.select(Account).where(Account.role.is_not(None))
        self.by_role = {a.role: a for a in db.session.scalars(with_roles)}

    def figure(self, roles, kinds, *, credit_side: bool) -> Figure:
        """Credits less debits (credit_side) or debits less credits of these accounts."""
        accounts = tuple(self.by_role[r] for r in roles if r in self.by_role)
        total = 0
        for account in accounts:
            for kind in kinds:
                debits, credits = self.sums.get((account.id, kind), (0, 0))
                total += credits - debits if credit_side else debits - credits
        return Figure(total, accounts)

    def adjustments(self, roles) -> tuple[Figure, Figure]:
        """Adjustments to these tax accounts: (credits, to be added; debits, deducted)."""
        accounts = tuple(self.by_role[r] for r in roles if r in self.by_role)
        added = sum(self.sums.get((a.id, ADJUSTMENT), (0, 0))[1] for a in accounts)
        deducted = sum(self.sums.get((a.id, ADJUSTMENT), (0, 0))[0] for a in accounts)
        return Figure(added, accounts), Figure(deducted, accounts)


def _revenue(date_from: date, date_to: date) -> Figure:
    """Line 101: the net of every income account (sales less returns, shipping, others)."""
    sums = statements.balances_by_account(date_from, date_to, (INCOME,))
    accounts = tuple(
        db.session.scalars(sa.select(Account).where(Account.type == INCOME).order_by(Account.code))
    )
    return Figure(-sum(sums.values()), accounts)


def _net_tax_lines(
    p: str, collected: Figure, added: Figure, credits: Figure, deducted: Figure
) -> list[ReturnLine]:
    """The lines from tax collected to net tax, numbered with the form's prefix (1 or 2)."""
    total_tax = collected + added
    total_credits = credits + deducted
    return [
        ReturnLine(f"{p}03", "Tax collected or collectible", collected),
        ReturnLine(f"{p}04", "Adjustments to be added to the net tax", added),
        ReturnLine(f"{p}05", f"Total tax and adjustments ({p}03 + {p}04)", total_tax),
        ReturnLine(f"{p}06", "Input tax credits for the period", credits),
        ReturnLine(f"{p}07", "Adjustments to be deducted", deducted),
        ReturnLine(f"{p}08", f"Total credits and adjustments ({p}06 + {p}07)", total_credits),
        ReturnLine(f"{p}09", f"Net tax ({p}05 - {p}08)", total_tax - total_credits),
    ]


def _refund_or_payment(p: str, net: Figure) -> list[ReturnLine]:
    """Net tax less instalments and rebates (the store has none): refunded or paid."""
    return [
        ReturnLine(f"{p}14", "Refund claimed", Figure(max(-net.amount, 0), net.accounts)),
        ReturnLine(f"{p}15", "Payment enclosed", Figure(max(net.amount, 0), net.accounts)),
    ]


def gst_return(date_from: date, date_to: date, sums: "_Sums | None" = None) -> TaxReturn:
    """The GST/HST return (CRA form GST34) for the period, line by line."""
    sums = sums or _Sums(date_from, date_to)
    payable = (chart.tax_role("GST"), chart.tax_role("HST"))
    credits_roles = (chart.itc_role("GST"), chart.itc_role("HST"))
    collected = sums.figure(payable, (SALE,), credit_side=True)
    added, deducted = sums.adjustments(payable)
    credits = sums.figure(credits_roles, (CREDIT,), credit_side=False)
    lines = [ReturnLine("101", "Sales and other revenue", _revenue(date_from, date_to))]
    lines += _net_tax_lines("1", collected, added, credits, deducted)
    net = lines[-1].figure
    extra = [
        ("110", "Instalments and net tax paid"), ("111", "Rebates"),
        ("112", "Total other credits (110 + 111)"),
    ]  # fmt: skip
    balance = ReturnLine("113A", "Balance (109 - 112)", net)
    lines += [ReturnLine(n, label, Figure()) for n, label in extra] + [balance]
    lines += [
        ReturnLine("205", "GST/HST due on acquisition of taxable real property", Figure()),
        ReturnLine("405", "Other GST/HST to be self-assessed", Figure()),
        ReturnLine("113B", "Total other debits (205 + 405)", Figure()),
        ReturnLine("113C", "Balance (113A + 113B)", net),
    ]
    lines += _refund_or_payment("1", net)
    settled = sums.figure(payable + credits_roles, (SETTLEMENT,), credit_side=True)
    return TaxReturn("GST34", date_from, date_to, lines, settled)


def qst_return(date_from: date, date_to: date, sums: "_Sums | None" = None) -> TaxReturn:
    """The QST part of Revenu Québec's return (FP-500): QST collected on Quebec sales,
    input tax refunds from itc:QST, net tax."""
    sums = sums or _Sums(date_from, date_to)
    payable, credits_roles = (chart.tax_role("QST"),), (chart.itc_role("QST"),)
    collected = sums.figure(payable, (SALE,), credit_side=True)
    added, deducted = sums.adjustments(payable)
    credits = sums.figure(credits_roles, (CREDIT,), credit_side=False)
    lines = _net_tax_lines("2", collected, added, credits, deducted)
    net = lines[-1].figure
    lines += [ReturnLine("211", "Rebates", Figure()), ReturnLine("213", "Balance (209 - 211)", net)]
    lines += _refund_or_payment("2", net)
    settled = sums.figure(payable + credits_roles, (SETTLEMENT,), credit_side=True)
    return TaxReturn("FP-500 (QST)", date_from, date_to, lines, settled)


def both_returns(date_from: date, date_to: date) -> list[tuple[str, TaxReturn]]:
    """The GST/HST and QST returns from one reading of the tax accounts."""
    sums = _Sums(date_from, date_to)
    return [
        ("gst", gst_return(date_from, date_to, sums)),
        ("qst", qst_return(date_from, date_to, sums)),
    ]


@dataclass(frozen=True)
class PstRow:
    province: str
    taxable: int  # sales into the province: the PST base on invoices less credit notes
    collected: int  # PST credited less refunded, from tax:PST placed by ship-to province


def pst_figures(date_from: date, date_to: date) -> tuple[list[PstRow], Account | None]:
    """PST per province that levies it, placed as the tax-collected report places it."""
    statements.without_jit()
    report = ledgers.tax_collected(date_from, date_to, component_only="PST")
    rows = []
    for province in PST_PROVINCES:
        found = [r for r in report.rows if r.component == "PST" and r.province == province]
        rows.append(
            PstRow(province, sum(r.taxable for r in found), sum(r.collected for r in found))
        )
    account = db.session.scalar(sa.select(Account).where(Account.role == chart.tax_role("PST")))
    return rows, account
