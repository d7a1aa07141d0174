"""A believable year of sales: the demo store's past, and the report benchmarks' data.

generate_history() writes the orders of the `days` days before today (ending
yesterday, in the store's time zone) as the checkout, payment and warehouse
would have left them: paid orders with their lines (the variant's price and
cost), taxes (computed by shop.tax.calculations from the seeded rates),
shipping priced from the carrier rate tables (packed by shop.shipping.packing;
free Regular Parcel over its threshold, its carrier cost kept either way), a
demo payment each, and shipments with parcels and tracking numbers a few days
later. A few orders expired unpaid or were cancelled before payment.

The shape: seasonality (Black Friday, December, a summer peak for camping
categories and a winter one for jackets and blankets, busier weekends), an
upward trend of about +20 % over the year, products that grow, fade, are new
in the last 10-20 weeks or never sell, baskets of 1-4 lines, and about 35 % of
orders from returning customers (registered or guests with the same email).
About 8 % of lines (10 % of backorderable ones) were short when ordered: their order shipped
in two parts (or, if the customer chose to wait, in one later shipment). Some
3 % of the last 45 days' paid orders are still waiting for a backorder today,
in every age bucket (1-7, 8-14, 15-30 and 31-45 days), preferably on variants
that are out of stock now.

History never touches stock: today's stock is the seeded stock (no stock
movements, no allocation is left open: quantity_allocated is 0 on every line),
so on_hand still equals the sum of movements and `allocated` stays true.

Each order is made by the checkout's own code, as a customer would have left it:
priced by shop.orders.pricing (the quote of the service chosen, taxes after it),
frozen by shop.orders.services.new_order and frozen_line, its events recorded by
shop.orders.events, its shipments numbered, packed and tracked by shop.fulfilment.
Those objects never enter the session: rows.row_of turns each into its row, and
everything is written with SQLAlchemy Core bulk inserts in chunks, with explicit
ids (PostgreSQL's sequences are moved past them afterwards), so 200,000 orders
take minutes rather than hours. Random choices come from random.Random(seed);
only secrets (order access tokens, session tokens) come from `secrets`.

The books (books=True, the demo): every sold order goes through the real
services, in the order the orders were paid: billing.issue_invoice (given the
payment time as `now`, so invoices are dated when paid and numbered gaplessly
in their year's series, INV-2025-... and INV-2026-..., which the next real
checkout continues), accounting.post_sale,
post_processor_fee (the demo provider's fee schedule) and post_cost_of_goods
per shipment, each entry dated when it happened. This costs a few
milliseconds per order (about 10-20 s for the demo's ~3,500 orders on
SQLite). Two summary entries per month keep the balance sheet plausible
without purchase orders: stock bought to replace what shipped (inventory /
bank, "history:2026-03:restock"); the processor's payouts are daily, as the
demo provider's job makes them (shop.payouts.services.pay_out_demo, up to yesterday).
The seeded stock's opening entries (inventory / opening balance equity) are dated the
history's first day; shipments and restocks both go at the variant's cost, which is
its average cost (the stock never moved), so the inventory account stays equal to
the stock's value at cost (shop.inventory.valuation).
books=False (the benchmarks) writes no invoices and no journal entries.
"""

import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from shop.accounts.models import User
from shop.accounts.passwords import hash_password
from shop.db import utcnow
from shop.demo.history_books import date_opening_stock, post_history_books
from shop.demo.history_orders import Generator
from shop.demo.history_people import People
from shop.demo.history_plan import (
    BASKET,
    CHUNK_ORDERS,
    DEFAULT_SEED,
    DEMO_CUSTOMERS,
    DEMO_ORDERS_PER_DAY,
    INSERT_ROWS,
    RETURNING_SHARE,
    Clock,
    HistoryError,
    HistoryResult,
    daily_means,
    load_catalogue,
    open_backorder_plan,
    poisson,
)  # fmt: skip
from shop.demo.people import CUSTOMER_PASSWORD
from shop.extensions import db
from shop.orders.models import Order


class Writer:
    """Rows buffered per table and inserted in foreign-key order, INSERT_ROWS at a time."""

    TABLES = ("users", "addresses", "orders", "order_lines", "order_taxes", "payments",
              "shipments", "shipment_lines", "parcels", "order_events")  # fmt: skip

    def __init__(self, *, hold_events: bool):
        self.rows: dict[str, list[dict]] = {name: [] for name in self.TABLES}
        self.counts: dict[str, int] = defaultdict(int)
        self.hold_events = hold_events  # the books add invoice events: write events last
        self.held: list[dict] = []
        self.backdated: list[dict] = []

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def backdate_user(self, user_id: int, moment: datetime) -> None:
        self.backdated.append({"uid": user_id, "created": moment})

    def flush(self) -> None:
        for name in self.TABLES:
            rows = self.rows[name]
            if name == "order_events" and self.hold_events:
                self.held.extend(rows)
            else:
                self._insert(name, rows)
            rows.clear()
        if self.backdated:
            users = User.__table__
            db.session.execute(
                sa.update(users).where(users.c.id == sa.bindparam("uid"))
                .values(created_at=sa.bindparam("created")),
                self.backdated,
            )  # fmt: skip
            self.backdated.clear()

    def write_held_events(self, extra: dict[int, list[dict]]) -> None:
        """The held events, each order's in time order (with the books' own added)."""
        by_order: dict[int, list[dict]] = defaultdict(list)
        for row in self.held:
            by_order[row["order_id"]].append(row)
        for order_id, rows in extra.items():
            by_order[order_id].extend(rows)
        ordered = []
        for order_id in sorted(by_order):
            ordered.extend(sorted(by_order[order_id], key=lambda r: r["created_at"]))
        self._insert("order_events", ordered)
        self.held.clear()

    def _insert(self, name: str, rows: list[dict]) -> None:
        table = db.metadata.tables[name]
        for start in range(0, len(rows), INSERT_ROWS):
            db.session.execute(sa.insert(table), rows[start : start + INSERT_ROWS])
        self.counts[name] += len(rows)


def advance_sequences(tables) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def generate_history(
    *, days: int = 365, orders_per_day: float = DEMO_ORDERS_PER_DAY,
    customers: int = DEMO_CUSTOMERS, seed: int = DEFAULT_SEED, today: date | None = None,
    books: bool = True, events: bool = True, basket: tuple[float, ...] = BASKET,
    progress=None,
) -> HistoryResult:  # fmt: skip
    """Write `days` days of sales ending yesterday (before `today`, the store's date) into a
    store that has a catalogue and reference data but no orders yet. The caller commits.

    `customers` registered customer accounts are made (some never order); guests come on
    top. `progress`, if given, is called with a line of text now and then.
    """
    started = time.perf_counter()
    if db.session.scalar(sa.select(Order.id).limit(1)) is not None:
        raise HistoryError("The store already has orders; history goes only into a new store.")
    rng = random.Random(seed)
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    now = utcnow() if today is None else datetime(today.year, today.month, today.day, 10,
                                                  tzinfo=tz).astimezone(UTC)  # fmt: skip
    clock = Clock(tz, now)
    first = clock.today - timedelta(days=days)
    products = load_catalogue(rng, days)
    if not products:
        raise HistoryError("The store has nothing to sell; seed the catalogue first.")
    means = daily_means(first, days, orders_per_day)
    writer = Writer(hold_events=books and events)
    people = People(
        rng, writer, customers=customers, password_hash=_customer_password_hash(),
        expected_new=sum(means) * (1 - RETURNING_SHARE),
    )  # fmt: skip
    generator = Generator(
        rng, products=products, people=people, writer=writer,
        clock=clock, books=books, events=events, basket=basket, days=days,
    )  # fmt: skip
    _generate_days(generator, means, first, open_backorder_plan(rng, means), progress)
    start = clock.local(first, 0, 0).astimezone(UTC)
    people.register_the_rest(start, now - timedelta(hours=1))
    writer.flush()
    advance_sequences(("users", "orders", "order_lines", "shipments"))
    result = generator.result
    result.customers, result.guests = people.result_users, people.result_guests
    if books:
        invoice_events = post_history_books(generator, clock, progress)
        date_opening_stock(first, start)
        result.invoices = len(generator.paid)
        if events:
            writer.write_held_events(invoice_events)
    db.session.flush()
    result.seconds = time.perf_counter() - started
    return result


def _generate_days(generator: Generator, means, first: date, plan, progress) -> None:
    open_wanted, since_flush = 0, 0
    for index, mean in enumerate(means):
        on = first + timedelta(days=index)
        open_wanted += plan.get(index, 0)
        count = poisson(generator.rng, mean)
        open_wanted = generator.day(index, on, count, open_wanted)
        since_flush += count
        if since_flush >= CHUNK_ORDERS:
            generator.writer.flush()
            since_flush = 0
            if progress:
                progress(f"  {on}: {generator.result.orders} orders written")


def _customer_password_hash() -> str:
    """One hash for every history customer (the demo customer's password): hashing each
    would take minutes. The history's customers can log in like the demo's own."""
    return hash_password(CUSTOMER_PASSWORD)
