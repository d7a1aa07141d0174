"""An order's shipments as the customer sees them, with the carrier's tracking link.

Reading only: the order page, the shipped email and the cancellation email show them.
"""

from dataclasses import dataclass
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.extensions import db
from shop.fulfilment import status as shipment_status
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.orders.models import Order
from shop.shipping.models import ShippingService


def tracking_link(template: str | None, number: str | None) -> str | None:
    """The carrier's tracking page for this number: {number} replaced, URL-escaped."""
    if not template or not number or "{number}" not in template:
        return None
    return template.replace("{number}", quote(number, safe=""))


@dataclass(frozen=True)
class ShipmentView:
    shipment: Shipment
    carrier: str
    tracking_url: str | None

    @property
    def lines(self):
        return self.shipment.lines


def shipments_of(order: Order) -> list[ShipmentView]:
    """The order's shipments being packed or shipped (not those abandoned), oldest first."""
    shipments = db.session.scalars(
        sa.select(Shipment)
        .where(Shipment.order_id == order.id, Shipment.status != shipment_status.CANCELLED)
        .options(selectinload(Shipment.lines).selectinload(ShipmentLine.order_line))
        .order_by(Shipment.id)
    ).all()
    service_ids = {s.shipping_service_id for s in shipments if s.shipping_service_id}
    services = {
        s.id: s
        for s in db.session.scalars(
            sa.select(ShippingService)
            .where(ShippingService.id.in_(service_ids or [0]))
            .options(selectinload(ShippingService.carrier))
        )
    }
    views = []
    for shipment in shipments:
        service = services.get(shipment.shipping_service_id)
        carrier = service.carrier if service is not None else None
        link = None
        if shipment.status == shipment_status.SHIPPED and carrier is not None:
            link = tracking_link(carrier.tracking_url, shipment.tracking_number)
        views.append(ShipmentView(shipment, carrier.name if carrier else "", link))
    return views
