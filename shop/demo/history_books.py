"""The history's books: every sold order invoiced and posted through the real services,
in the order paid, each entry dated when it happened.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop import clock
from shop.accounting import chart
from shop.accounting import services as books_services
from shop.accounting.models import JournalEntry
from shop.billing import services as billing
from shop.demo.history_orders import Generator
from shop.demo.history_plan import INSERT_ROWS, PROVIDER, PROVIDER_LABEL, Clock
from shop.extensions import db
from shop.inventory.valuation import OPENING_STOCK
from shop.orders.models import Order
from shop.payouts import services as payouts
from shop.store_details.services import store_settings


def post_history_books(generator: Generator, clock: Clock, progress=None) -> dict[int, list]:
    """Invoice and post every sold order through the real services, in the order paid.

    Returns the "invoice issued" events to add to each order's history.
    """
    paid = sorted(generator.paid)  # invoice numbers follow the time of payment
    ids = [order_id for _, order_id, _, _ in paid]
    payments = {order_id: (card, reference) for _, order_id, card, reference in paid}
    settings = store_settings()
    fee_percent, fee_fixed = settings.demo_fee_percent, settings.demo_fee_fixed
    months = MonthTotals(clock)
    events: dict[int, list] = defaultdict(list)
    for start in range(0, len(ids), 200):
        batch = db.session.scalars(
            sa.select(Order)
            .where(Order.id.in_(ids[start : start + 200]))
            .options(selectinload(Order.lines), selectinload(Order.taxes))
            .order_by(Order.paid_at, Order.id)
        ).all()
        for order in batch:
            invoice = _book_order(order, *payments[order.id], fee_percent, fee_fixed, months)
            for shipment in generator.shipped.get(order.id, []):
                _book_shipment(order, shipment, months)
            events[order.id].append({
                "order_id": order.id, "kind": "invoice", "user_id": None,
                "params": {"number": invoice.number},
                "created_at": order.paid_at,
            })  # fmt: skip
        db.session.flush()
        db.session.expunge_all()
        if progress and start and start % 2000 == 0:
            progress(f"  books: {start} orders invoiced and posted")
    _post_month_summaries(months, clock)
    payouts.pay_out_demo(through=clock.today - timedelta(days=1))
    _date_entries(months.posted)
    return events


@dataclass
class MonthTotals:
    """What the month summaries need, and when each entry was really posted."""

    clock: Clock
    cogs: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    posted: list[tuple[int, datetime]] = field(default_factory=list)  # (entry id, moment)

    def month(self, moment: datetime) -> str:
        return self.clock.store_date(moment).strftime("%Y-%m")


def date_opening_stock(first: date, start: datetime) -> None:
    """The seeded stock was there before the first sale: its opening entries (inventory /
    opening balance equity, shop.inventory.valuation) are dated the history's first day."""
    table = JournalEntry.__table__
    db.session.execute(
        sa.update(table).where(table.c.source_type == OPENING_STOCK, table.c.date > first)
        .values(date=first, created_at=start)
    )  # fmt: skip


def _date_entries(posted: list[tuple[int, datetime]]) -> None:
    """Entries were posted when their event happened: one UPDATE for all (not one each)."""
    table = JournalEntry.__table__
    rows = [{"entry": entry_id, "moment": moment} for entry_id, moment in posted]
    for start in range(0, len(rows), INSERT_ROWS):
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("entry"))
            .values(created_at=sa.bindparam("moment")),
            rows[start : start + INSERT_ROWS],
        )  # fmt: skip


def _book_order(order: Order, card: str, reference: str, fee_percent, fee_fixed, months):
    # Dated (and numbered in the year's series) when the order was paid.
    invoice = billing.issue_invoice(order=order, payment_method=card, now=order.paid_at)
    sale = books_services.post_sale(order=order, invoice=invoice)
    if sale is not None:  # (demo goods all have a price: always, so far)
        months.posted.append((sale.id, order.paid_at))
    fee = books_services.demo_fee(order.total, fee_percent, fee_fixed)
    on = clock.store_date(order.paid_at)
    posted = books_services.post_processor_fee(
        order=order, fee=fee, source_key=f"fee:{PROVIDER}:{reference}", on=on,
        provider=PROVIDER_LABEL,
    )  # fmt: skip
    if posted is not None:
        months.posted.append((posted.id, order.paid_at))
    return invoice


def _book_shipment(order: Order, shipment: tuple, months: "MonthTotals") -> None:
    shipment_id, number, shipped_at, cost = shipment
    if cost:
        entry = books_services.post_cost_of_goods(
            source_key=f"cogs:shipment:{shipment_id}", on=clock.store_date(shipped_at),
            cost=cost, order_id=order.id,
            description=f"Cost of goods, shipment {number}, order {order.number}",
        )  # fmt: skip
        months.posted.append((entry.id, shipped_at))
    months.cogs[months.month(shipped_at)] += cost


def _post_month_summaries(months: MonthTotals, clock: Clock) -> None:
    """Per month: stock bought to replace what shipped."""
    for month in sorted(months.cogs):
        on = _month_end(month, clock.today - timedelta(days=1))
        if months.cogs.get(month):
            books_services.post_entry(
                source_type="history", source_key=f"history:{month}:restock", on=on,
                description=f"Stock bought in {month} to replace the goods shipped (summary)",
                lines=[books_services.Line(chart.INVENTORY, debit=months.cogs[month]),
                       books_services.Line(chart.BANK, credit=months.cogs[month])],
            )  # fmt: skip


def _month_end(month: str, latest: date) -> date:
    year, number = (int(x) for x in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return min(following - timedelta(days=1), latest)
