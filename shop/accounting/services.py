"""The books: one balanced journal entry per money event, never two.

Every posting rule here builds its lines and hands them to post_entry(), which
refuses an unbalanced entry and will not post the same source key twice.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from shop.accounting import chart, periods
from shop.accounting.errors import ChartError, PostingError
from shop.accounting.models import ACCOUNT_TYPES, Account, JournalEntry, JournalLine
from shop.clock import store_date
from shop.db import once_per_transaction
from shop.extensions import db
from shop.money import format_money
from shop.tax.calculations import round_half_up

MANUAL = periods.MANUAL


@dataclass(frozen=True)
class Line:
    role_or_code: str  # an account role (e.g. "sales") or an account code (e.g. "4000")
    debit: int = 0
    credit: int = 0
    memo: str = ""


def seed_chart() -> int:
    """The starting chart of accounts; accounts that exist are left alone.

    A role the chart lacks is added; when the owner already gave its code to an
    account of their own, the role's account takes the next free code (5010 -> 5011).
    """
    accounts = db.session.scalars(sa.select(Account)).all()
    codes = {a.code for a in accounts}
    roles = {a.role for a in accounts if a.role}
    added = 0
    for code, name, kind, role in chart.CHART:
        if role in roles or (role is None and code in codes):
            continue
        while code in codes:
            code = str(int(code) + 1)
        db.session.add(Account(code=code, name=name, type=kind, role=role))
        codes.add(code)
        added += 1
    db.session.flush()
    return added


def _chart_index() -> dict[str, Account]:
    """Every account by its role and by its code, read once per transaction (a busy day
    posts thousands of entries; the chart changes only on its own page, and a change to
    it is seen at once: shop.db.once_per_transaction)."""
    return once_per_transaction(db.session, "chart index", _read_chart_index, models=(Account,))


def _read_chart_index() -> dict[str, Account]:
    accounts = db.session.scalars(sa.select(Account)).all()
    if not accounts:
        seed_chart()
        accounts = db.session.scalars(sa.select(Account)).all()
    index = {a.code: a for a in accounts}
    index.update({a.role: a for a in accounts if a.role})
    return index


def account_for(role_or_code: str, index: dict[str, Account] | None = None) -> Account:
    account = (index if index is not None else _chart_index()).get(role_or_code)
    if account is None:
        raise PostingError(f"No account for {role_or_code!r} in the chart of accounts.")
    return account


def already_posted(source_key: str) -> JournalEntry | None:
    return db.session.scalar(sa.select(JournalEntry).where(JournalEntry.source_key == source_key))


def post_entry(
    *, source_type: str, source_key: str, on: date, description: str, lines: list[Line],
    order_id: int | None = None, user=None,
) -> JournalEntry:  # fmt: skip
    """Post a balanced entry once; posting the same source key again returns the first."""
    existing = already_posted(source_key)
    if existing is not None:
        return existing
    lines = [line for line in lines if line.debit or line.credit]
    if not lines:
        raise PostingError("An entry needs at least one amount.")
    if any(line.debit < 0 or line.credit < 0 or (line.debit and line.credit) for line in lines):
        raise PostingError("Each line is a debit or a credit, and never negative.")
    debits, credits = sum(x.debit for x in lines), sum(x.credit for x in lines)
    if debits != credits:
        raise PostingError(f"The entry does not balance: debits {debits}, credits {credits}.")
    # A closed period takes no entry: a manual one is refused, others post on its first open day.
    on, description = periods.open_posting_date(on, description, source_type)
    entry = JournalEntry(
        date=on, description=description[:300], source_type=source_type, source_key=source_key,
        order_id=order_id, user_id=getattr(user, "id", None),
    )  # fmt: skip
    index = _chart_index()
    for line in lines:
        entry.lines.append(
            JournalLine(
                account=account_for(line.role_or_code, index), debit=line.debit,
                credit=line.credit, memo=line.memo[:200],
            )
        )  # fmt: skip
    db.session.add(entry)
    db.session.flush()
    return entry


# --- posting rules -------------------------------------------------------------------


def post_sale(*, order, invoice) -> JournalEntry | None:
    """Online order paid: processor clearing / sales, shipping income, tax payable per
    component. None for a sale of nothing (free goods shipped free): no amount to post."""
    goods = invoice.subtotal + invoice.discount_total  # at their prices
    shipping = invoice.shipping_total + invoice.shipping_discount
    if not goods and not shipping:
        return None
    lines = [Line(chart.CLEARING, debit=invoice.total, memo=f"Order {order.number}")]
    lines.append(Line(chart.SALES, credit=goods, memo=f"Goods, {invoice.number}"))
    lines.append(Line(chart.SHIPPING_INCOME, credit=shipping, memo="Shipping"))
    taken = invoice.discount_total + invoice.shipping_discount
    if taken:
        memo = f"Discount code {invoice.discount_code}"
        lines.append(Line(chart.SALES_DISCOUNTS, debit=taken, memo=memo))
    for tax in invoice.taxes:
        lines.append(Line(chart.tax_role(tax.component), credit=tax.amount, memo=tax.label))
    return post_entry(
        source_type="sale", source_key=f"sale:order:{order.id}", on=store_date(invoice.issued_at),
        description=f"Sale, order {order.number}, invoice {invoice.number}", lines=lines,
        order_id=order.id,
    )  # fmt: skip


def post_processor_fee(*, order, fee: int, source_key: str, on: date, provider: str):
    """The payment processor's fee: payment fees / processor clearing; no entry for no fee."""
    if not fee:
        return None
    return post_entry(
        source_type="payment_fee", source_key=source_key, on=on,
        description=f"{provider} fee, order {order.number}",
        lines=[Line(chart.PAYMENT_FEES, debit=fee), Line(chart.CLEARING, credit=fee)],
        order_id=order.id,
    )  # fmt: skip


def demo_fee(total: int, percent: Decimal, fixed: int) -> int:
    """The demo provider's fee schedule, e.g. 2.9 % + 30 cents, rounded half-up."""
    return round_half_up(Decimal(total) * percent / 100) + fixed


def post_commission(*, order, on: date) -> JournalEntry | None:
    """Commission earned on the goods when the order is paid: commissions / commissions payable."""
    if order.commission_agent_id is None or not order.commission_rate:
        return None
    amount = round_half_up(Decimal(order.subtotal) * order.commission_rate)
    if not amount:  # a few cents of goods: less than half a cent earned, nothing to post
        return None
    lines = [Line(chart.COMMISSIONS, debit=amount), Line(chart.COMMISSIONS_PAYABLE, credit=amount)]
    return post_entry(
        source_type="commission", source_key=f"commission:order:{order.id}", on=on,
        description=f"Commission {order.commission_rate * 100:.2f}% on order {order.number}",
        lines=lines, order_id=order.id,
    )  # fmt: skip


def post_cost_of_goods(*, source_key: str, on: date, cost: int, description: str, order_id=None):
    """A shipment left: cost of goods sold / inventory, at cost at the time of shipment."""
    return post_entry(
        source_type="cogs", source_key=source_key, on=on, description=description,
        lines=[Line(chart.COGS, debit=cost), Line(chart.INVENTORY, credit=cost)], order_id=order_id,
    )  # fmt: skip


def post_refund(*, order, credit_note) -> JournalEntry:
    """A credit note refunded through the provider: the reverse of the part of the sale it
    undoes. Refunds and returns (a contra-income account) take the goods given back (less
    any restocking fee the store keeps), shipping income and each tax component their
    part; processor clearing gives the money back.

    The processor's fee is not reversed: Stripe keeps the fee of a refunded charge (and the
    demo provider does as Stripe does), so the fee stays an expense of the sale.
    """
    lines = [Line(chart.REFUNDS, debit=-credit_note.subtotal, memo=f"Goods, {credit_note.number}")]
    lines.append(Line(chart.SHIPPING_INCOME, debit=-credit_note.shipping_total, memo="Shipping"))
    for tax in credit_note.taxes:
        lines.append(Line(chart.tax_role(tax.component), debit=-tax.amount, memo=tax.label))
    lines.append(Line(chart.CLEARING, credit=-credit_note.total, memo=f"Order {order.number}"))
    return post_entry(
        source_type="refund", source_key=f"refund:{credit_note.number}",
        on=store_date(credit_note.issued_at), order_id=order.id,
        description=f"Refund, order {order.number}, credit note {credit_note.number}", lines=lines,
    )  # fmt: skip


def reverse_commission(*, order, credit_note, goods_left: int) -> JournalEntry | None:
    """The commission on goods given back is no longer earned: commissions payable /
    commissions, at the order's rate on the credit note's goods (net of a restocking fee);
    when no goods are left to refund, what is left of the commission, so an order refunded
    in parts reverses exactly the commission it posted."""
    posted = already_posted(f"commission:order:{order.id}")
    if posted is None:
        return None
    earned = sum(line.credit for line in posted.lines)
    reversed_before = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(JournalLine.debit), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            JournalEntry.order_id == order.id,
            JournalEntry.source_type == "commission_reversal",
            JournalLine.account_id == account_for(chart.COMMISSIONS_PAYABLE).id,
        )
    )
    left = earned - int(reversed_before)
    if goods_left == 0:
        amount = left
    else:
        amount = min(left, round_half_up(Decimal(-credit_note.subtotal) * order.commission_rate))
    if amount <= 0:
        return None
    return post_entry(
        source_type="commission_reversal", source_key=f"commission-reversal:{credit_note.number}",
        on=store_date(credit_note.issued_at), order_id=order.id,
        description=f"Commission reversed, order {order.number}, credit note {credit_note.number}",
        lines=[
            Line(chart.COMMISSIONS_PAYABLE, debit=amount), Line(chart.COMMISSIONS, credit=amount)
        ],
    )  # fmt: skip


# --- the chart of accounts, edited by the owner ------------------------------------

ACCOUNT_CODE = re.compile(r"[0-9A-Z][0-9A-Z.-]{0,9}")


def accounts_in_order(*, active_only: bool = False) -> list[Account]:
    query = sa.select(Account).order_by(Account.code)
    if active_only:
        query = query.where(Account.is_active.is_(True))
    return list(db.session.scalars(query))


def _check_code(code: str, account: Account | None) -> str:
    code = code.strip().upper()
    if not ACCOUNT_CODE.fullmatch(code):
        raise ChartError(
            "Use up to 10 digits, capital letters, dots or dashes, like 4010.", field="code"
        )
    taken = db.session.scalar(sa.select(Account).where(Account.code == code))
    if taken is not None and taken is not account:
        raise ChartError(f"Account {code} is already {taken.name}.", field="code")
    return code


def create_account(*, code: str, name: str, type: str) -> Account:
    """A new account of the chart. It plays no posting rule's role: only manual entries use it."""
    if type not in ACCOUNT_TYPES:
        raise ChartError("Choose an account type from the list.", field="type")
    account = Account(code=_check_code(code, None), name=name.strip(), type=type, role=None)
    db.session.add(account)
    db.session.flush()
    return account


def update_account(*, account: Account, code: str, name: str, is_active: bool) -> Account:
    """Rename or renumber an account, or retire it. Its type and role stay as they are: the
    posting rules find their accounts by role, so an account with a role stays active."""
    if not is_active and account.role is not None:
        raise ChartError(
            f"{account.name} is where the books post {account.role.replace('_', ' ')}; "
            "it stays active (rename it if you like).",
            field="is_active",
        )
    account.code = _check_code(code, account)
    account.name = name.strip()
    account.is_active = is_active
    db.session.flush()
    return account


# --- manual entries ----------------------------------------------------------------


@dataclass(frozen=True)
class ManualLine:
    account_id: int
    debit: int = 0
    credit: int = 0
    memo: str = ""


def post_manual_entry(*, on: date, description: str, lines: list[ManualLine], user):
    """A bookkeeper's own entry, posted like any other: balanced, or not at all."""
    currency, locale = current_app.config["BASE_CURRENCY"], current_app.config["LOCALE"]
    lines = [line for line in lines if line.debit or line.credit]
    if len(lines) < 2:
        raise PostingError("An entry needs at least two lines with an amount: debit and credit.")
    if any(line.debit and line.credit for line in lines):
        raise PostingError("Put each line's amount in Debit or in Credit, not both.")
    debits, credits = sum(x.debit for x in lines), sum(x.credit for x in lines)
    if debits != credits:
        raise PostingError(
            f"The entry does not balance: debits {format_money(debits, currency, locale)}, "
            f"credits {format_money(credits, currency, locale)} (a difference of "
            f"{format_money(abs(debits - credits), currency, locale)}). Nothing was posted."
        )
    accounts = {a.id: a for a in accounts_in_order(active_only=True)}
    if any(line.account_id not in accounts for line in lines):
        raise PostingError("Choose an active account for each line with an amount.")
    return post_entry(
        source_type=MANUAL,
        source_key=f"{MANUAL}:{uuid.uuid4().hex}",
        on=on,
        description=description.strip(),
        lines=[
            Line(accounts[x.account_id].code, debit=x.debit, credit=x.credit, memo=x.memo)
            for x in lines
        ],
        user=user,
    )
