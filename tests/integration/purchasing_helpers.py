"""Shared steps for purchasing tests: a backordered item, a supplier, purchase orders."""

from datetime import date

import sqlalchemy as sa

from shop.accounting.models import JournalEntry, JournalLine
from shop.backorders import purchase_orders
from shop.extensions import db
from shop.inventory.services import movement_total, stock_for
from shop.notifications.models import OutboxMessage
from shop.purchasing import services as purchasing
from tests.factories import ProductFactory, SupplierFactory, VariantFactory


def backordered_item(classes, *, name="Trail Stove", sku="STOVE-9", on_hand=0, cost=1500):
    """A backorderable variant with a supplier (lead time 10 days) and little stock."""
    supplier = SupplierFactory(name=f"{name} Co", lead_time_days=10)
    variant = VariantFactory(
        product=ProductFactory(name=name), sku=sku, price=4900, cost=cost,
        tax_class=classes["standard"], stock=on_hand,
    )  # fmt: skip
    variant.stock.supplier = supplier
    db.session.commit()
    return variant


def sent_po(variant, quantity: int, *, unit_cost=1500, expected: date | None = None, user=None):
    """A purchase order for one variant, sent to its supplier, committed."""
    po = purchasing.create_purchase_order(
        supplier_id=variant.stock.supplier_id, user=user, expected_date=expected
    )
    purchasing.add_line(po=po, sku=variant.sku, quantity=quantity, unit_cost=unit_cost)
    purchase_orders.send_purchase_order(po=po, user=user)
    db.session.commit()
    return po


def receipts_posted() -> list[JournalEntry]:
    return list(
        db.session.scalars(
            sa.select(JournalEntry)
            .where(JournalEntry.source_type == purchasing.RECEIPT_SOURCE)
            .order_by(JournalEntry.id)
        )
    )


def entry_amounts(entry: JournalEntry) -> dict[str, tuple[int, int]]:
    """{account role: (debit, credit)} of one entry."""
    lines = db.session.scalars(sa.select(JournalLine).where(JournalLine.entry_id == entry.id))
    return {line.account.role: (line.debit, line.credit) for line in lines}


def mails(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def assert_stock_is_its_movements(*variants) -> None:
    for variant in variants:
        db.session.expire_all()
        assert stock_for(variant.id).on_hand == movement_total(variant.id), variant.sku
