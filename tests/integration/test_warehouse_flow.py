"""The warehouse day from the warehouse issue's "done when": a customer buys an item that is
partly out of stock and chooses to ship now; the in-stock part is packed and shipped with
slip and label; a purchase order is received; the rest becomes packable and ships; each
step's email is in the outbox, and stock still equals its movements."""

import sqlalchemy as sa

from shop.backorders import purchase_orders
from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.inventory.services import movement_total, stock_for
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.purchasing import services as purchasing
from tests.factories import ProductFactory, SupplierFactory, VariantFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy


def emails_to(address: str) -> list[str]:
    query = sa.select(OutboxMessage.kind).where(OutboxMessage.to_address == address)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def to_pack_numbers() -> set[str]:
    return {row.order.number for row in fulfilment.orders_to_pack().items}


def test_ship_now_then_receive_then_ship_the_rest(app, staff):
    classes = seed_reference_data()
    supplier = SupplierFactory(lead_time_days=10, email="orders@lantern.test")
    lantern = VariantFactory(
        product=ProductFactory(name="Storm Lantern"), sku="LANTERN-1", price=4900, cost=2000,
        tax_class=classes["standard"], stock=1,
    )  # fmt: skip
    lantern.stock.supplier = supplier
    db.session.commit()
    warehouse = staff["warehouse"]

    order = buy(app, [(lantern, 3)], email="pat@example.com", policy="ship_available_now")
    line = order.lines[0]
    assert (order.status, line.quantity_allocated, line.quantity_backordered) == ("paid", 1, 2)
    assert order.number in to_pack_numbers()

    # Pack and ship the one lantern in stock, with its papers.
    client = app.test_client()
    client.post(
        "/account/login", data={"email": warehouse.email, "password": "correct horse battery"}
    )
    first = fulfilment.start_shipment(order=order, user=warehouse)
    db.session.commit()
    for paper in ("packing-slip", "label"):
        response = client.get(f"/admin/shipments/{first.number}/{paper}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
    fulfilment.confirm_shipment(shipment=first, user=warehouse)
    db.session.commit()
    order = db.session.get(Order, order.id)
    assert order.status == "partially_shipped"
    assert order.number not in to_pack_numbers()  # the rest is not here yet

    # The supplier's goods arrive.
    po = purchasing.create_purchase_order(supplier_id=supplier.id, user=warehouse)
    po_line = purchasing.add_line(po=po, sku="LANTERN-1", quantity=5, unit_cost=2000)
    purchase_orders.send_purchase_order(po=po, user=warehouse)
    db.session.commit()
    purchase_orders.receive_purchase_order(po=po, quantities={po_line.id: 5}, user=warehouse)
    db.session.commit()
    line = db.session.get(Order, order.id).lines[0]
    assert (line.quantity_allocated, line.quantity_backordered, line.quantity_shipped) == (2, 0, 1)
    assert order.number in to_pack_numbers()

    second = fulfilment.start_shipment(order=order, user=warehouse)
    fulfilment.confirm_shipment(shipment=second, user=warehouse)
    db.session.commit()
    assert db.session.get(Order, order.id).status == "shipped"

    stock = stock_for(lantern.id)
    assert (stock.on_hand, stock.allocated) == (3, 0)  # 1 + 5 received - 3 shipped
    assert stock.on_hand == movement_total(lantern.id)
    assert emails_to("pat@example.com") == [
        "order_confirmation", "shipment_shipped", "backorder_allocated", "shipment_shipped",
    ]  # fmt: skip
    assert "purchase_order" in emails_to("orders@lantern.test")[0]
