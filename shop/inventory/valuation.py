"""What the stock is worth: moving weighted average cost, one method for the whole store.

Why moving average: the store values every variant the same way, and a unit costs
what the shop really paid for the units on hand (each receipt at its purchase order's
cost moves the average), not a catalogue figure typed once. It keeps no layers per
receipt (FIFO would need one per delivery, consumed in order, and a shipment that
spans two of them); it is what the small-business tools a bookkeeper knows use
(QuickBooks Online values inventory this way), and Odoo's stock valuation layers
reduce to it with the "average cost" method.

The truth is the VALUE, not the average: each stock row keeps `stock_value`, the cost
of its units on hand in cents, and the average is stock_value / on_hand, rounded only
when shown. Units leaving take round_half_up(value x units / on_hand), and the last
unit out takes what is left, so no stock means no value and nothing is lost to
rounding. Every movement changes on_hand and stock_value together, under the stock
row's lock (shop.locks), and posts the same amount to the inventory account, so at
every moment:

    inventory account = sum of stock_value = sum over variants of on_hand x average cost

Postings (the other side of inventory), each with the movement as its source:
- opening stock: opening balance equity;
- a receipt: goods received not billed (posted by shop.purchasing, per delivery);
- a shipment: cost of goods sold (posted by shop.fulfilment, per shipment);
- adjustments, counts, customer returns, a receipt typed by hand: inventory shrinkage;
- a variant's cost edited by hand: a revaluation of its units on hand.
"""

from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from shop import clock, locks
from shop.accounting import chart
from shop.accounting import services as books
from shop.accounting.models import Account, JournalEntry, JournalLine
from shop.catalogue.models import Variant
from shop.db import utcnow
from shop.extensions import db
from shop.inventory import reasons
from shop.inventory.models import StockLevel, StockMovement
from shop.money import format_money
from shop.tax.calculations import round_half_up

SOURCE = "stock"  # journal entries of movements that post on their own
OPENING_STOCK = "opening_stock"  # ... and of opening stock, apart (the demo dates them)
REVALUATION_SOURCE = "revaluation"

# The account on the other side of inventory, per reason of a movement that posts itself.
OTHER_SIDE = {
    reasons.INITIAL: chart.OPENING_BALANCE,
    reasons.ADJUSTMENT: chart.SHRINKAGE,
    reasons.COUNT: chart.SHRINKAGE,
    # Goods a customer sent back undo the cost of their sale: cost of goods sold is
    # credited (a unit returned damaged is then scrapped to shrinkage by an adjustment).
    reasons.RETURN: chart.COGS,
    reasons.RECEIPT: chart.SHRINKAGE,  # typed by hand, without a purchase order or a bill
    reasons.SHIPMENT: chart.COGS,  # (shop.fulfilment posts one entry per shipment)
    reasons.COUNTER_SALE: chart.COGS,
}


# --- the arithmetic ------------------------------------------------------------------


def average_cost(value: int, on_hand: int) -> int | None:
    """What one unit costs, rounded half-up to the cent; None with nothing on hand."""
    if on_hand <= 0:
        return None
    return round_half_up(Decimal(value) / on_hand)


def value_out(value: int, on_hand: int, units: int) -> int:
    """The cost that `units` leaving take with them; the last ones take what is left."""
    if units >= on_hand:
        return value
    return round_half_up(Decimal(value) * units / on_hand)


def value_in(value: int, on_hand: int, units: int, unit_cost: int | None, fallback: int) -> int:
    """The cost `units` arriving bring: at `unit_cost` when the shop paid one (a receipt),
    else at the average of what is on hand, or at `fallback` (the variant's cost) when
    nothing is."""
    if unit_cost is not None:
        return units * unit_cost
    if on_hand > 0:
        return round_half_up(Decimal(value) * units / on_hand)
    return units * fallback


def value_change(stock: StockLevel, quantity: int, unit_cost: int | None, fallback: int) -> int:
    """The signed change of the stock's value when on_hand moves by `quantity`."""
    if quantity < 0:
        return -value_out(stock.stock_value, stock.on_hand, -quantity)
    return value_in(stock.stock_value, stock.on_hand, quantity, unit_cost, fallback)


# --- moving the value (called by shop.inventory.services, under the stock row lock) --------


def locked_stock(variant_id: int) -> StockLevel:
    """The variant's stock row read afresh under its lock: the value is moved from it."""
    (stock,) = locks.lock_stock_rows([variant_id])
    return stock


def catalogue_cost(variant_id: int) -> int:
    return db.session.scalar(sa.select(Variant.cost).where(Variant.id == variant_id)) or 0


def follow_average(variant_id: int) -> None:
    """After a receipt, the catalogue shows what a unit on hand costs now."""
    stock = db.session.scalar(sa.select(StockLevel).where(StockLevel.variant_id == variant_id))
    average = average_cost(stock.stock_value, stock.on_hand)
    if average is not None:
        db.session.get(Variant, variant_id).cost = average


# --- posting ---------------------------------------------------------------------------


def movement_key(movement: StockMovement) -> str:
    return f"movement:{movement.id}"


def inventory_lines(change: int, other: str, memo: str = "") -> list:
    """Inventory up by `change` (down when negative), the other account the other way."""
    amount = abs(change)
    if change > 0:
        return [
            books.Line(chart.INVENTORY, debit=amount, memo=memo),
            books.Line(other, credit=amount, memo=memo),
        ]
    return [
        books.Line(other, debit=amount, memo=memo),
        books.Line(chart.INVENTORY, credit=amount, memo=memo),
    ]


def post_movement(movement: StockMovement, user=None):
    """Inventory against the account its reason posts to, at the movement's value.

    Receipts from a purchase order and shipments are posted by their own use cases (one
    entry per delivery, per shipment); a movement that moved no value posts nothing.
    """
    if not movement.value:
        return None
    memo = movement.note or movement.reference
    sku = db.session.scalar(sa.select(Variant.sku).where(Variant.id == movement.variant_id))
    units = f"{movement.quantity:+d}"
    return books.post_entry(
        source_type=OPENING_STOCK if movement.reason == reasons.INITIAL else SOURCE,
        source_key=movement_key(movement),
        on=clock.store_date(movement.created_at or utcnow()),
        description=f"{reasons.LABELS[movement.reason]} {units} x {sku}, at average cost",
        lines=inventory_lines(movement.value, OTHER_SIDE[movement.reason], memo), user=user,
    )  # fmt: skip


def revalue(*, variant: Variant, new_cost: int, user=None):
    """The owner says a unit costs `new_cost` now: the units on hand are worth on_hand x
    new_cost, and the difference posts inventory against inventory revaluation.

    No stock, no entry (the new cost applies to what arrives next).
    """
    stock = locked_stock(variant.id)
    difference = stock.on_hand * new_cost - stock.stock_value
    variant.cost = new_cost
    if not difference:
        return None
    db.session.execute(
        sa.update(StockLevel)
        .where(StockLevel.id == stock.id)
        .values(stock_value=StockLevel.stock_value + difference)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(stock)
    return books.post_entry(
        source_type=REVALUATION_SOURCE, source_key=_revaluation_key(variant.id),
        on=clock.store_date(utcnow()), lines=inventory_lines(difference, chart.REVALUATION),
        user=user,
        description=f"{variant.sku} revalued: {stock.on_hand} on hand at {_money(new_cost)} each",
    )  # fmt: skip


def _money(minor: int) -> str:
    return format_money(minor, current_app.config["BASE_CURRENCY"], current_app.config["LOCALE"])


def _revaluation_key(variant_id: int) -> str:
    """revaluation:variant:<id>:<n>, the n-th of the variant (read under its stock lock)."""
    prefix = f"{REVALUATION_SOURCE}:variant:{variant_id}:"
    done = db.session.scalar(
        sa.select(sa.func.count(JournalEntry.id)).where(JournalEntry.source_key.like(prefix + "%"))
    )
    return f"{prefix}{done + 1}"


# --- reading: what the books check and the valuation page shows ---------------------------


def stock_value_total() -> int:
    """The cost of everything on hand, in cents."""
    return int(
        db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockLevel.stock_value), 0)))
    )


def inventory_balance() -> int:
    """The inventory account's balance (debits less credits), in cents."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(JournalLine.debit - JournalLine.credit), 0))
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.role == chart.INVENTORY)
    )
    return int(total)


def inventory_difference() -> int:
    """Inventory account less the stock at cost: 0 when the books agree with the stock."""
    return inventory_balance() - stock_value_total()
