"""Orders bought, packed and shipped through the real use cases, for the returns tests, and
the customer's return form filled in as a browser fills it."""

import html
import re

import sqlalchemy as sa

from shop.extensions import db
from shop.fulfilment import services as fulfilment
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.returns.models import ReturnRequest
from tests.integration.order_helpers import buy


def ship_everything(order: Order, user=None) -> Order:
    """Pack and ship what the order has allocated, as the warehouse does."""
    shipment = fulfilment.start_shipment(order=order, user=user)
    fulfilment.confirm_shipment(shipment=shipment, user=user)
    db.session.commit()
    return db.session.get(Order, order.id)


def bought_and_shipped(app, items, **kwargs) -> Order:
    return ship_everything(buy(app, items, **kwargs))


def order_link(order: Order) -> str:
    return f"/orders/{order.number}?t={order.access_token}"


def ask_return(client, order: Order, asked: dict, note: str = "", token: str | None = None):
    """POST the return form: {order line: (units, reason)}; the guest's link token by default."""
    token = order.access_token if token is None else token
    url = f"/orders/{order.number}/returns/new?t={token}"
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"csrf_token": match.group(1) if match else "", "note": note}
    for line, (units, reason) in asked.items():
        data[f"qty_{line.id}"] = str(units)
        data[f"reason_{line.id}"] = reason
    return client.post(url, data=data)


def requests_of(order: Order) -> list[ReturnRequest]:
    query = sa.select(ReturnRequest).where(ReturnRequest.order_id == order.id)
    return list(db.session.scalars(query.order_by(ReturnRequest.id)))


def emails_to(address: str) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.to_address == address)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))
