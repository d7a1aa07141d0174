"""The books: one balanced journal entry per money event, never two.

Every posting rule here builds its lines and hands them to post_entry(), which
refuses an unbalanced entry and will not post the same source key twice.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from shop.accounting import chart
from shop.accounting.errors import PostingError
from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.extensions import db
from shop.tax.calculations import round_half_up


@dataclass(frozen=True)
class Line:
    role_or_code: str  # an account role (e.g. "sales") or an account code (e.g. "4000")
    debit: int = 0
    credit: int = 0
    memo: str = ""


def store_date(moment: datetime) -> date:
    """The day a moment falls on where the store is: the date its books use."""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def seed_chart() -> int:
    """The starting chart of accounts; accounts that exist are left alone."""
    have = set(db.session.scalars(sa.select(Account.code)))
    added = 0
    for code, name, kind, role in chart.CHART:
        if code not in have:
            db.session.add(Account(code=code, name=name, type=kind, role=role))
            added += 1
    db.session.flush()
    return added


def account_for(role_or_code: str) -> Account:
    account = db.session.scalar(
        sa.select(Account).where(sa.or_(Account.role == role_or_code, Account.code == role_or_code))
    )
    if account is None:
        seed_chart()
        account = db.session.scalar(sa.select(Account).where(Account.role == role_or_code))
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
    entry = JournalEntry(
        date=on, description=description[:300], source_type=source_type, source_key=source_key,
        order_id=order_id, user_id=getattr(user, "id", None),
    )  # fmt: skip
    for line in lines:
        entry.lines.append(
            JournalLine(
                account=account_for(line.role_or_code), debit=line.debit, credit=line.credit,
                memo=line.memo[:200],
            )
        )  # fmt: skip
    db.session.add(entry)
    db.session.flush()
    return entry


# --- posting rules -------------------------------------------------------------------


def post_sale(*, order, invoice) -> JournalEntry:
    """Online order paid: processor clearing / sales, shipping income, tax payable per component."""
    lines = [Line(chart.CLEARING, debit=invoice.total, memo=f"Order {order.number}")]
    lines.append(Line(chart.SALES, credit=invoice.subtotal, memo=f"Goods, {invoice.number}"))
    lines.append(Line(chart.SHIPPING_INCOME, credit=invoice.shipping_total, memo="Shipping"))
    for tax in invoice.taxes:
        lines.append(Line(chart.tax_role(tax.component), credit=tax.amount, memo=tax.label))
    return post_entry(
        source_type="sale", source_key=f"sale:order:{order.id}", on=store_date(invoice.issued_at),
        description=f"Sale, order {order.number}, invoice {invoice.number}", lines=lines,
        order_id=order.id,
    )  # fmt: skip


def post_processor_fee(*, order, fee: int, source_key: str, on: date, provider: str):
    """The payment processor's fee: payment fees / processor clearing."""
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
    """A credit note refunded to the card: the reverse of the sale it undoes."""
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
