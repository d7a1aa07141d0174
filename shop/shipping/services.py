"""Setting up shipping data."""

import sqlalchemy as sa

from shop.extensions import db
from shop.shipping import data
from shop.shipping.models import (
    Box,
    Carrier,
    ShippingRate,
    ShippingService,
    ShippingZone,
    ZoneRegion,
)


def seed_canada_post() -> bool:
    """Carrier, services, zones, rate table and boxes; does nothing if a carrier exists."""
    if db.session.scalar(sa.select(Carrier.id).limit(1)) is not None:
        return False
    carrier = Carrier(**data.CARRIER)
    db.session.add(carrier)
    services = {}
    for position, (code, name, days, free_over) in enumerate(data.SERVICES):
        services[code] = ShippingService(
            carrier=carrier, code=code, name=name, transit_days=days, free_over=free_over,
            position=position,
        )  # fmt: skip
    for code, name, regions, base in data.ZONES:
        zone = ShippingZone(code=code, name=name)
        zone.regions = [ZoneRegion(country="CA", province=p, postal_prefix=x) for p, x in regions]
        for service_code, service in services.items():
            for max_weight, percent in data.WEIGHT_BANDS:
                price = data.rate(base, service_code, percent)
                db.session.add(
                    ShippingRate(service=service, zone=zone, max_weight_g=max_weight, price=price)
                )
    for name, length, width, height, weight, max_weight in data.BOXES:
        db.session.add(
            Box(name=name, length_mm=length, width_mm=width, height_mm=height, weight_g=weight,
                max_weight_g=max_weight)
        )  # fmt: skip
    db.session.flush()
    return True
