"""Payouts: the processor sends what it cleared to the bank (bank / processor clearing).

Stripe says so with payout.paid (shop.payouts.stripe_events hands it here); the demo provider pays
out once a day what each store day cleared: its payments less their fees and refunds
(pay_out_demo(), run by `flask payouts demo`). A payout is posted once, by the
provider's payout id (the demo's is its day, demo:2026-11-30): the unique key on
payouts makes a second run, or a concurrent one, add nothing.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shop import clock
from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.orders.models import Order, Payment
from shop.payments.models import FAILED, PAID, Payout
from shop.refunds.models import Refund

DEMO = "demo"
LABELS = {"demo": "Demo processor", "stripe": "Stripe"}
CAPTURED = ("succeeded", "refunded")  # a payment whose money the processor took
# A demo history seeded before daily payouts paid each month out in one summary entry.
SUMMARY_PAYOUT = JournalEntry.source_key.like("history:%:payout")


class PayoutError(DomainError):
    """A payout the books cannot take as it is (another currency)."""


def find(provider: str, payout_id: str) -> Payout | None:
    return db.session.scalar(
        sa.select(Payout).where(Payout.provider == provider, Payout.provider_payout_id == payout_id)
    )


def _transfer(amount: int, *, to_bank: bool) -> list[books.Line]:
    """Money from clearing to the bank (or back); a negative amount runs the other way."""
    if not to_bank:
        amount = -amount
    if amount >= 0:
        return [books.Line(chart.BANK, debit=amount), books.Line(chart.CLEARING, credit=amount)]
    return [books.Line(chart.CLEARING, debit=-amount), books.Line(chart.BANK, credit=-amount)]


def record_payout(
    *, provider: str, payout_id: str, amount: int, currency: str, arrival_date: date
) -> Payout:
    """A paid payout: its row and its entry (bank / processor clearing), dated when it
    arrives. The same payout again returns the first; a payout that failed stays failed."""
    existing = find(provider, payout_id)
    if existing is not None:
        return existing
    currency = currency.upper()
    if currency != current_app.config["BASE_CURRENCY"]:
        raise PayoutError(
            f"Payout {payout_id} is in {currency}, not in the books' currency "
            f"{current_app.config['BASE_CURRENCY']}; post it by hand."
        )
    payout = Payout(
        provider=provider, provider_payout_id=payout_id, amount=amount, currency=currency,
        arrival_date=arrival_date, status=PAID,
    )  # fmt: skip
    db.session.add(payout)
    db.session.flush()  # a concurrent copy of this payout now fails on the unique key
    payout.entry = books.post_entry(
        source_type="payout", source_key=f"payout:{provider}:{payout_id}", on=arrival_date,
        description=f"{LABELS.get(provider, provider)} payout {payout_id}",
        lines=_transfer(amount, to_bank=True),
    )  # fmt: skip
    db.session.flush()
    return payout


def fail_payout(*, provider: str, payout_id: str, amount: int, currency: str, on: date) -> Payout:
    """The bank sent a payout back: a paid one is reversed (processor clearing / bank, dated
    when it failed); one never seen paid is kept as failed, with no entry."""
    payout = find(provider, payout_id)
    if payout is None:
        payout = Payout(
            provider=provider, provider_payout_id=payout_id, amount=amount,
            currency=currency.upper(), arrival_date=on, status=FAILED,
        )  # fmt: skip
        db.session.add(payout)
        db.session.flush()
        return payout
    if payout.status == FAILED:
        return payout
    payout.status = FAILED
    if payout.entry is not None:
        payout.reversal = books.post_entry(
            source_type="payout", source_key=f"payout:{provider}:{payout_id}:failed", on=on,
            description=f"{LABELS.get(provider, provider)} payout {payout_id} failed",
            lines=_transfer(payout.amount, to_bank=False),
        )  # fmt: skip
    db.session.flush()
    return payout


# --- the demo provider's daily payout ------------------------------------------------


def _demo_orders():
    return sa.select(Payment.order_id).where(Payment.provider == DEMO, Payment.status.in_(CAPTURED))


def demo_cleared_by_day(through: date) -> dict[date, int]:
    """What each store day moved through clearing for demo-paid orders: their sales less
    their fees and refunds, by the date each was posted."""
    query = (
        sa.select(JournalEntry.date, sa.func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalLine.entry)
        .join(JournalLine.account)
        .where(
            Account.role == chart.CLEARING,
            JournalEntry.date <= through,
            JournalEntry.source_type != "payout",
            JournalEntry.order_id.in_(_demo_orders()),
        )
        .group_by(JournalEntry.date)
    )
    return {day: int(total) for day, total in db.session.execute(query)}


def demo_key(day: date) -> str:
    return f"{DEMO}:{day.isoformat()}"


def pay_out_demo(through: date | None = None) -> list[Payout]:
    """Pay out each day up to `through` (yesterday by default) not paid out yet; the money
    arrives the next day. Safe to run often and twice at once: a day another run is paying
    out right now fails on the unique key in its own savepoint and is left to it."""
    through = through or clock.store_date(utcnow()) - timedelta(days=1)
    done = set(
        db.session.scalars(sa.select(Payout.provider_payout_id).where(Payout.provider == DEMO))
    )
    summarised = _months_paid_out_in_summary()
    made = []
    for day, amount in sorted(demo_cleared_by_day(through).items()):
        if not amount or demo_key(day) in done or day.strftime("%Y-%m") in summarised:
            continue
        try:
            with db.session.begin_nested():
                made.append(
                    record_payout(
                        provider=DEMO, payout_id=demo_key(day), amount=amount,
                        currency=current_app.config["BASE_CURRENCY"],
                        arrival_date=day + timedelta(days=1),
                    )
                )  # fmt: skip
        except IntegrityError:
            continue  # paid out by a run at the same moment
    return made


def _months_paid_out_in_summary() -> set[str]:
    """Months paid out in a summary entry ("history:2026-03:payout"): their days are paid."""
    keys = db.session.scalars(
        sa.select(JournalEntry.source_key).where(
            JournalEntry.source_type == "history", SUMMARY_PAYOUT
        )
    )
    return {key.split(":")[1] for key in keys}


# --- the check the lead's invariants use ----------------------------------------------


def _sum(query) -> int:
    return int(db.session.scalar(query) or 0)


def _clearing_moves(*where):
    """What entries of a kind took out of processor clearing (credits less debits)."""
    return (
        sa.select(sa.func.sum(JournalLine.credit - JournalLine.debit))
        .join(JournalLine.entry)
        .join(JournalLine.account)
        .where(Account.role == chart.CLEARING, *where)
    )


def clearing_difference() -> int:
    """Processor clearing's balance less what it should hold: captured payments less fees,
    refunds and payouts. 0 when the books are right.

    Captured: payments whose money was taken for an order that was paid (money for an order
    that could not be supplied went straight back and was never booked). Refunds are the
    refunds decided (each posted with its credit note); fees are known only as their
    entries; payouts are the payout rows, paid and not failed (and the monthly summaries
    of a demo history seeded before daily payouts).
    """
    balance = _sum(
        sa.select(sa.func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalLine.account)
        .where(Account.role == chart.CLEARING)
    )
    captured = _sum(
        sa.select(sa.func.sum(Payment.amount))
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.status.in_(CAPTURED), Order.paid_at.is_not(None))
    )
    fees = _sum(_clearing_moves(JournalEntry.source_type == "payment_fee"))
    refunds = _sum(sa.select(sa.func.sum(Refund.amount)))
    paid_out = _sum(sa.select(sa.func.sum(Payout.amount)).where(Payout.status == PAID))
    paid_out += _sum(_clearing_moves(JournalEntry.source_type == "history", SUMMARY_PAYOUT))
    return balance - (captured - fees - refunds - paid_out)


PER_PAGE = 50


def payouts_list(*, page: int = 1, per_page: int = PER_PAGE):
    """Payouts newest first (by the day they arrive): a year of daily payouts is pages."""
    query = (
        sa.select(Payout)
        .options(selectinload(Payout.entry), selectinload(Payout.reversal))
        .order_by(Payout.arrival_date.desc(), Payout.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
