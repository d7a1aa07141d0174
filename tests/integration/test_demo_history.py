"""The demo's sales history (60 days of it here): orders that add up, stock untouched,
backorders still open at several ages, balanced books, invoice numbers the next checkout
continues.

Seeding the demo store and its history takes a few seconds, so one test per database
makes them once and runs every check on them.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from shop import demo, month_end
from shop.accounting import chart, periods
from shop.accounting import services as books
from shop.accounting.errors import PeriodError
from shop.accounting.models import JournalEntry
from shop.accounts import roles
from shop.accounts.models import User
from shop.billing.models import INVOICE, Invoice, InvoiceSequence
from shop.books.ledgers import trial_balance
from shop.db import utcnow
from shop.demo import HistoryError, generate_history
from shop.extensions import db
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.inventory import valuation
from shop.inventory.models import StockLevel, StockMovement
from shop.inventory.stock_figures import stock_valuation
from shop.orders import status as st
from shop.orders.models import Order, OrderEvent, OrderLine, OrderTax, Payment
from shop.shipping.models import ShippingService
from tests.integration.order_helpers import buy

DAYS = 60
SOLD = (st.PAID, st.PARTIALLY_SHIPPED, st.SHIPPED)


def test_a_history_the_reports_can_trust(app):
    demo.seed_demo()
    db.session.commit()
    movements = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    history = generate_history(days=DAYS, orders_per_day=4, customers=60, seed=7)
    db.session.commit()
    check_every_order_adds_up(history)
    check_free_shipping_over_the_threshold_still_costs_the_store()
    check_stock_is_untouched_and_nothing_stays_allocated(movements)
    check_shipments_carry_what_the_lines_say_shipped()
    check_open_backorders_wait_in_several_age_buckets(app)
    check_books_balance_and_every_sale_is_invoiced(history)
    check_the_inventory_account_is_the_stock_at_cost()
    check_the_bookkeeper_closes_the_last_month(app)
    check_the_next_checkout_continues_the_invoice_series(app)
    check_history_orders_are_made_like_the_checkouts()
    with pytest.raises(HistoryError):  # only into a store without orders
        generate_history(days=3)


def sums_by_order(column, model) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(model.order_id, sa.func.sum(column)).group_by(model.order_id)
    )
    return {order_id: int(total) for order_id, total in rows}


def check_every_order_adds_up(history):
    orders = db.session.scalars(sa.select(Order)).all()
    assert len(orders) == history.orders > DAYS * 2
    goods = sums_by_order(OrderLine.line_total, OrderLine)
    units = sums_by_order(OrderLine.quantity, OrderLine)
    costs = sums_by_order(OrderLine.unit_cost * OrderLine.quantity, OrderLine)
    taxes = sums_by_order(OrderTax.amount, OrderTax)
    for order in orders:
        assert order.total == order.subtotal + order.shipping_total + order.tax_total
        assert goods[order.id] == order.subtotal, order.number
        assert (units[order.id], costs[order.id]) == (order.units, order.goods_cost)
        assert taxes.get(order.id, 0) == order.tax_total, order.number
        assert order.shipping_cost > 0 and order.currency == "CAD" and order.channel == "web"
        assert order.number == f"MP{order.id + 10000}"
        assert (order.paid_at is not None) == (order.status in SOLD)
    for line in db.session.scalars(sa.select(OrderLine)):
        assert line.line_total == line.unit_price * line.quantity
        assert 0 < line.unit_cost < line.unit_price


def check_free_shipping_over_the_threshold_still_costs_the_store():
    regular = db.session.scalar(sa.select(ShippingService).where(ShippingService.code == "regular"))
    orders = db.session.scalars(
        sa.select(Order).where(Order.shipping_service_id == regular.id)
    ).all()
    free = [o for o in orders if o.subtotal >= regular.free_over]
    assert free and all(o.shipping_total == 0 and o.shipping_cost > 0 for o in free)
    assert all(o.shipping_total > 0 for o in orders if o.subtotal < regular.free_over)


def check_stock_is_untouched_and_nothing_stays_allocated(movements_before):
    movements = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    assert movements == movements_before
    assert db.session.scalar(sa.select(sa.func.sum(OrderLine.quantity_allocated))) == 0
    totals = dict(
        db.session.execute(
            sa.select(StockMovement.variant_id, sa.func.sum(StockMovement.quantity)).group_by(
                StockMovement.variant_id
            )
        ).all()
    )
    for level in db.session.scalars(sa.select(StockLevel)):
        assert level.allocated == 0
        assert level.on_hand == totals.get(level.variant_id, 0)


def check_shipments_carry_what_the_lines_say_shipped():
    shipped = dict(
        db.session.execute(
            sa.select(ShipmentLine.order_line_id, sa.func.sum(ShipmentLine.quantity)).group_by(
                ShipmentLine.order_line_id
            )
        ).all()
    )
    lines = db.session.execute(
        sa.select(OrderLine, Order.status).join(Order, Order.id == OrderLine.order_id)
    ).all()
    for line, status in lines:
        assert line.quantity_shipped == shipped.get(line.id, 0)
        if status in SOLD:
            assert line.quantity_shipped + line.quantity_backordered == line.quantity
        else:
            assert line.quantity_shipped == line.quantity_backordered == 0
    two_parts = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            sa.select(Shipment.order_id).group_by(Shipment.order_id)
            .having(sa.func.count() > 1).subquery()
        )
    )  # fmt: skip
    assert two_parts > 0  # backordered lines that shipped later
    first_paid = db.session.execute(
        sa.select(Shipment.shipped_at, Order.paid_at).join(Order, Order.id == Shipment.order_id)
    ).all()
    assert all(paid < shipped_at < utcnow() for shipped_at, paid in first_paid)


def check_open_backorders_wait_in_several_age_buckets(app):
    tz = ZoneInfo(app.config["TIMEZONE"])
    today = utcnow().astimezone(tz).date()
    waiting = db.session.execute(
        sa.select(Order, OrderLine)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.quantity_backordered > 0)
    ).all()
    assert waiting
    buckets = set()
    for order, line in waiting:
        assert order.status in (st.PAID, st.PARTIALLY_SHIPPED)
        assert line.expected_ship_date is not None and line.expected_ship_date > today
        age = (today - order.created_at.astimezone(tz).date()).days
        assert 1 <= age <= 45
        buckets.add(0 if age <= 7 else 1 if age <= 14 else 2 if age <= 30 else 3)
    assert len(buckets) >= 2


def check_books_balance_and_every_sale_is_invoiced(history):
    assert trial_balance().balances
    invoices = {i.order_id: i for i in db.session.scalars(sa.select(Invoice))}
    sold = db.session.scalars(sa.select(Order).where(Order.status.in_(SOLD))).all()
    assert len(invoices) == len(sold) == history.invoices
    for order in sold:
        assert invoices[order.id].total == order.total
        assert invoices[order.id].issued_at == order.paid_at
    # The demo provider paid out every day up to yesterday, one payout a day, as its job does.
    from shop.payments.models import Payout
    from shop.payouts import services as payouts

    paid = dict(db.session.execute(sa.select(Payout.provider_payout_id, Payout.amount)).all())
    cleared = payouts.demo_cleared_by_day(utcnow().date() + timedelta(days=1))
    assert paid == {payouts.demo_key(day): amount for day, amount in cleared.items() if amount}
    assert DAYS - 10 < len(paid) <= DAYS
    assert payouts.clearing_difference() == 0


def check_the_inventory_account_is_the_stock_at_cost():
    value = valuation.stock_value_total()
    rows = stock_valuation().rows
    assert value == sum(r.on_hand * r.average_cost for r in rows)  # each at its variant's cost
    assert value > 0 and valuation.inventory_balance() == value
    first = db.session.scalar(sa.select(sa.func.min(JournalEntry.date)))
    openings = db.session.scalars(
        sa.select(JournalEntry.date).where(JournalEntry.source_type == valuation.OPENING_STOCK)
    ).all()
    assert openings and set(openings) == {first}  # the stock was there before the first sale


def check_the_bookkeeper_closes_the_last_month(app):
    """Every month-end check agrees on the demo's books, the last month closes, and a
    manual entry dated in it is refused while the next one posts."""
    assert [c.name for c in month_end.month_end_checks() if not c.ok] == []
    today = utcnow().astimezone(ZoneInfo(app.config["TIMEZONE"])).date()
    bookkeeper = db.session.scalar(sa.select(User).where(User.role == roles.BOOKKEEPER))
    last = periods.closable_month_ends(today)[0]
    periods.close_through(last, user=bookkeeper, today=today)
    db.session.commit()
    bank, fees = (books.account_for(role) for role in (chart.BANK, chart.BANK_CHARGES))
    lines = [books.ManualLine(fees.id, debit=500), books.ManualLine(bank.id, credit=500)]
    with pytest.raises(PeriodError):
        books.post_manual_entry(on=last, description="Late fee", lines=lines, user=bookkeeper)
    db.session.rollback()
    entry = books.post_manual_entry(
        on=last + timedelta(days=1), description="Bank fee", lines=lines, user=bookkeeper
    )
    assert entry.date == last + timedelta(days=1)
    db.session.commit()


def check_the_next_checkout_continues_the_invoice_series(app):
    series = f"INV-{utcnow().astimezone(ZoneInfo(app.config['TIMEZONE'])).year}"
    before = db.session.get(InvoiceSequence, series)
    last = before.last_value if before is not None else 0
    numbers = db.session.scalars(
        sa.select(Invoice.number).where(Invoice.number.like(f"{series}-%"), Invoice.kind == INVOICE)
    ).all()
    assert sorted(numbers) == [f"{series}-{n:06d}" for n in range(1, last + 1)]
    variant = db.session.scalar(
        sa.select(StockLevel).where(StockLevel.on_hand > 2).order_by(StockLevel.id).limit(1)
    ).variant
    order = buy(app, [(variant, 1)], email="next@example.com")
    assert order.status == st.PAID
    invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.number == f"{series}-{last + 1:06d}"
    assert order.created_at > utcnow() - timedelta(minutes=5)


def filled_columns(table, where) -> set[str]:
    """The columns of `table` that hold a value in any row matching `where`."""
    row_count = sa.func.count()
    filled = set()
    for column in table.columns:
        count = db.session.scalar(
            sa.select(row_count).select_from(table).where(where, column.is_not(None))
        )
        if count:
            filled.add(column.name)
    return filled


def check_history_orders_are_made_like_the_checkouts():
    """The history builds its orders with the checkout's own code: every column a real
    checkout fills on a paid order, its lines, taxes, payment and events, the history's
    paid orders fill too (a new column the checkout writes cannot be forgotten there)."""
    real = db.session.scalar(sa.select(Order).where(Order.email == "next@example.com"))
    past = Order.paid_at.is_not(None), Order.id != real.id
    history_ids = sa.select(Order.id).where(*past).scalar_subquery()
    pairs = [
        (Order.__table__, Order.id == real.id, sa.and_(*past)),
        (OrderLine.__table__, OrderLine.order_id == real.id, OrderLine.order_id.in_(history_ids)),
        (OrderTax.__table__, OrderTax.order_id == real.id, OrderTax.order_id.in_(history_ids)),
        (Payment.__table__, Payment.order_id == real.id, Payment.order_id.in_(history_ids)),
    ]
    for table, real_rows, history_rows in pairs:
        missing = filled_columns(table, real_rows) - filled_columns(table, history_rows)
        assert not missing, f"{table.name}: the history leaves {sorted(missing)} empty"
    real_kinds = set(db.session.scalars(sa.select(OrderEvent.kind).where(
        OrderEvent.order_id == real.id)))  # fmt: skip
    history_kinds = set(db.session.scalars(sa.select(OrderEvent.kind).where(
        OrderEvent.order_id.in_(history_ids))))  # fmt: skip
    assert real_kinds - {"payment_started"} <= history_kinds
