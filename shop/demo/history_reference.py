"""Tax rates and the carrier's tables, read once, so pricing an order costs no query."""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from shop.demo.history_plan import Item
from shop.extensions import db
from shop.shipping.models import Box, Carrier, ShippingRate, ShippingService, ZoneRegion
from shop.shipping.packing import BoxSpec, pack
from shop.tax.models import TaxRate


@dataclass(frozen=True)
class Rate:
    component: str
    rate: object  # Decimal


@dataclass
class Service:
    id: int
    code: str
    full_name: str
    free_over: int | None
    dim_divisor: int
    bands: dict[int, list[tuple[int, int]]]  # zone id -> (max weight, price), lightest first


@dataclass
class Reference:
    """Tax rates by province and the carrier tables, so an order costs no query."""

    rates: dict[str, dict[int, list[Rate]]]
    regions: dict[str, list[tuple[str, int]]]  # province -> (postal prefix, zone id)
    services: list[Service]
    boxes: list[BoxSpec]
    packed: dict[tuple, list] = field(default_factory=dict)

    def zone(self, province: str, postal_code: str) -> int | None:
        """The longest matching postal prefix, as shipping.rates.zone_for finds it."""
        postal = postal_code.replace(" ", "").upper()
        matching = [(len(p), z) for p, z in self.regions.get(province, []) if postal.startswith(p)]
        return max(matching)[1] if matching else None

    def pack(self, units: list[tuple[Item, int]]) -> list:
        key = tuple(sorted((item.id, qty) for item, qty in units))
        parcels = self.packed.get(key)
        if parcels is None:
            parcels = pack([item.unit for item, qty in units for _ in range(qty)], self.boxes)
            self.packed[key] = parcels
        return parcels


def load_reference() -> Reference:
    rates: dict[str, dict[int, list[Rate]]] = defaultdict(lambda: defaultdict(list))
    for row in db.session.scalars(sa.select(TaxRate).where(TaxRate.country == "CA")):
        rates[row.province][row.tax_class_id].append(Rate(row.component, row.rate))
    regions: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for region in db.session.scalars(sa.select(ZoneRegion).where(ZoneRegion.country == "CA")):
        regions[region.province].append((region.postal_prefix.upper(), region.zone_id))
    bands: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for rate in db.session.scalars(sa.select(ShippingRate).order_by(ShippingRate.max_weight_g)):
        bands[rate.service_id][rate.zone_id].append((rate.max_weight_g, rate.price))
    services = [
        Service(s.id, s.code, f"{carrier.name} {s.name}", s.free_over, carrier.dim_divisor,
                bands[s.id])
        for s, carrier in db.session.execute(
            sa.select(ShippingService, Carrier)
            .join(Carrier, Carrier.id == ShippingService.carrier_id)
            .where(ShippingService.is_active.is_(True))
            .order_by(ShippingService.position, ShippingService.id)
        )
    ]  # fmt: skip
    boxes = [
        BoxSpec(b.id, b.name, b.length_mm, b.width_mm, b.height_mm, b.weight_g, b.max_weight_g)
        for b in db.session.scalars(sa.select(Box).where(Box.is_active.is_(True)))
    ]
    return Reference(rates, regions, services, boxes)
