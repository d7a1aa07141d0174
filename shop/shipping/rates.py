"""Shipping prices: pack, weigh (billable weight), find the zone, read the rate table."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from shop.db import once_per_transaction
from shop.extensions import db
from shop.shipping.models import Box, ShippingRate, ShippingService, ShippingZone, ZoneRegion
from shop.shipping.packing import BoxSpec, Parcel, Unit, pack


@dataclass(frozen=True)
class Shipment:
    """Units that leave together; ship_date None means as soon as the order is paid."""

    units: list[Unit]
    ship_date: date | None


@dataclass(frozen=True)
class ShipmentQuote:
    ship_date: date | None
    parcels: list[Parcel]
    price: int


@dataclass(frozen=True)
class ServiceQuote:
    service: ShippingService
    shipments: list[ShipmentQuote]
    price: int  # minor units, all shipments together
    free: bool
    cost: int  # what the rate table asks for all parcels, even when the customer ships free

    @property
    def parcel_count(self) -> int:
        return sum(len(s.parcels) for s in self.shipments)


def zone_for(*, country: str, province: str, postal_code: str = "") -> ShippingZone | None:
    """The most specific zone: the longest matching postal prefix, else the province."""
    postal = postal_code.replace(" ", "").upper()
    matching = [
        r for r in _regions(country, province) if postal.startswith(r.postal_prefix.upper())
    ]
    if not matching:
        return None
    return max(matching, key=lambda r: len(r.postal_prefix)).zone


def _regions(country: str, province: str) -> list[ZoneRegion]:
    return _once(
        ("zone regions", country, province),
        lambda: db.session.scalars(
            sa.select(ZoneRegion)
            .where(ZoneRegion.country == country, ZoneRegion.province == province)
            .options(joinedload(ZoneRegion.zone))
        ).all(),
    )


def _once(key, load):
    """Shipping's reference data, read once in a transaction (a checkout quotes again and
    again in one request)."""
    models = (ZoneRegion, ShippingZone, ShippingService, ShippingRate, Box)
    return once_per_transaction(db.session, key, load, models=models)


def variant_unit(variant) -> Unit:
    """One unit of a variant as packing sees it: its size and weight."""
    return Unit(
        variant.id, variant.length_mm, variant.width_mm, variant.height_mm, variant.weight_g
    )


def box_specs() -> list[BoxSpec]:
    return _once(("boxes",), _box_specs)


def _box_specs() -> list[BoxSpec]:
    boxes = db.session.scalars(sa.select(Box).where(Box.is_active.is_(True)))
    return [
        BoxSpec(b.id, b.name, b.length_mm, b.width_mm, b.height_mm, b.weight_g, b.max_weight_g)
        for b in boxes
    ]


def _rate_table(zone_id: int) -> dict[int, list[tuple[int, int]]]:
    """(max weight, price) bands per service id for a zone, lightest first."""
    return _once(("rate table", zone_id), lambda: _read_rate_table(zone_id))


def _read_rate_table(zone_id: int) -> dict[int, list[tuple[int, int]]]:
    rows = db.session.execute(
        sa.select(ShippingRate.service_id, ShippingRate.max_weight_g, ShippingRate.price)
        .where(ShippingRate.zone_id == zone_id)
        .order_by(ShippingRate.service_id, ShippingRate.max_weight_g)
    )
    table: dict[int, list[tuple[int, int]]] = {}
    for service_id, max_weight, price in rows:
        table.setdefault(service_id, []).append((max_weight, price))
    return table


def band_price(bands: list[tuple[int, int]], weight_g: int) -> int | None:
    """Price of the lightest band that takes this weight; None when it is too heavy."""
    return next((price for max_weight, price in bands if weight_g <= max_weight), None)


def quote_services(
    *, zone: ShippingZone, shipments: list[Shipment], goods_total: int
) -> list[ServiceQuote]:
    """Every active service that can carry all the parcels, cheapest first."""
    services = _once(("active services",), _active_services)
    table = _rate_table(zone.id)
    boxes = box_specs()
    packed = [(s.ship_date, pack(s.units, boxes)) for s in shipments if s.units]
    quotes = []
    for service in services:
        quote = _quote_service(service, table.get(service.id, []), packed, goods_total)
        if quote is not None:
            quotes.append(quote)
    return sorted(quotes, key=lambda q: (q.price, q.service.position))


def _active_services() -> list[ShippingService]:
    return db.session.scalars(
        sa.select(ShippingService)
        .where(ShippingService.is_active.is_(True))
        .options(joinedload(ShippingService.carrier))
        .order_by(ShippingService.position, ShippingService.id)
    ).all()


def _quote_service(service, bands, packed, goods_total) -> ServiceQuote | None:
    if not bands:
        return None
    free = service.free_over is not None and goods_total >= service.free_over
    shipment_quotes, cost = [], 0
    for ship_date, parcels in packed:
        prices = [
            band_price(bands, p.billable_weight_g(service.carrier.dim_divisor)) for p in parcels
        ]
        if any(price is None for price in prices):
            return None  # a parcel is too heavy for this service
        cost += sum(prices)
        shipment_quotes.append(ShipmentQuote(ship_date, parcels, 0 if free else sum(prices)))
    total = sum(s.price for s in shipment_quotes)
    return ServiceQuote(service, shipment_quotes, total, free, cost)
