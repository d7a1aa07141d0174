"""Shipping data: seeding it, and the owner's changes to it in the back office.

Each change is one use case: it flushes but never commits, and refuses what
would make the rate tables wrong with a ShippingError naming the form field.
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.extensions import db
from shop.shipping import data
from shop.shipping.errors import ShippingError
from shop.shipping.models import (
    Box,
    Carrier,
    ShippingRate,
    ShippingService,
    ShippingZone,
    ZoneRegion,
)
from shop.text import slugify


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
    zones = []
    for code, name, regions, base in data.ZONES:
        zone = ShippingZone(code=code, name=name)
        zone.regions = [ZoneRegion(country="CA", province=p, postal_prefix=x) for p, x in regions]
        zones.append((zone, base))
    db.session.add_all([*services.values(), *(zone for zone, _ in zones)])
    db.session.flush()  # ids for the rate table, written in one statement (168 rows)
    db.session.execute(
        sa.insert(ShippingRate),
        [
            {"service_id": service.id, "zone_id": zone.id, "max_weight_g": max_weight,
             "price": data.rate(base, service_code, percent)}
            for zone, base in zones
            for service_code, service in services.items()
            for max_weight, percent in data.WEIGHT_BANDS
        ],
    )  # fmt: skip
    for name, length, width, height, weight, max_weight in data.BOXES:
        db.session.add(
            Box(name=name, length_mm=length, width_mm=width, height_mm=height, weight_g=weight,
                max_weight_g=max_weight)
        )  # fmt: skip
    db.session.flush()
    return True


# --- reading for the back office -----------------------------------------------------


@dataclass(frozen=True)
class Band:
    """One row of a zone's rate table: a weight limit and each service's price for it."""

    max_weight_g: int
    rates: dict[int, ShippingRate]  # by service id; a service missing does not carry it


def carriers() -> list[Carrier]:
    return list(
        db.session.scalars(
            sa.select(Carrier).options(selectinload(Carrier.services)).order_by(Carrier.name)
        )
    )


def all_services() -> list[ShippingService]:
    """Every service, active or not, in the order customers see them."""
    return list(
        db.session.scalars(
            sa.select(ShippingService)
            .options(selectinload(ShippingService.carrier))
            .order_by(ShippingService.position, ShippingService.id)
        )
    )


def zones() -> list[ShippingZone]:
    return list(
        db.session.scalars(
            sa.select(ShippingZone)
            .options(selectinload(ShippingZone.regions))
            .order_by(ShippingZone.name)
        )
    )


def boxes() -> list[Box]:
    volume = Box.length_mm * Box.width_mm * Box.height_mm
    return list(db.session.scalars(sa.select(Box).order_by(volume, Box.name)))


def rate_bands(zone: ShippingZone) -> list[Band]:
    """The zone's rate table as weight bands, lightest first."""
    rows = db.session.scalars(
        sa.select(ShippingRate)
        .where(ShippingRate.zone_id == zone.id)
        .order_by(ShippingRate.max_weight_g, ShippingRate.service_id)
    )
    bands: dict[int, dict[int, ShippingRate]] = {}
    for row in rows:
        bands.setdefault(row.max_weight_g, {})[row.service_id] = row
    return [Band(weight, rates) for weight, rates in bands.items()]


def band_rates(zone: ShippingZone, max_weight_g: int) -> dict[int, ShippingRate]:
    """Each service's rate of one band of a zone, by service id ({} when there is no band)."""
    rows = db.session.scalars(
        sa.select(ShippingRate).where(
            ShippingRate.zone_id == zone.id, ShippingRate.max_weight_g == max_weight_g
        )
    )
    return {row.service_id: row for row in rows}


# --- changes by the owner ------------------------------------------------------------

POSTAL_PREFIX = re.compile(r"[A-Z0-9]{0,6}")
COUNTRY = re.compile(r"[A-Z]{2}")
PROVINCE = re.compile(r"[A-Z0-9]{1,3}")


def _name(value: str, field: str = "name") -> str:
    name = (value or "").strip()
    if not name:
        raise ShippingError("Enter a name.", field=field)
    return name


def update_carrier(*, carrier: Carrier, name: str, dim_divisor: int) -> Carrier:
    """Rename a carrier or change its dimensional-weight divisor (cm3 per kg)."""
    if dim_divisor <= 0:
        raise ShippingError("The divisor must be a whole number above 0.", field="dim_divisor")
    carrier.name = _name(name)
    carrier.dim_divisor = dim_divisor
    db.session.flush()
    return carrier


def update_service(
    *, service: ShippingService, name: str, transit_days: int, is_active: bool, position: int,
    free_over: int | None,
) -> ShippingService:  # fmt: skip
    """Change a service; free_over in minor units, None when it is never free."""
    if transit_days < 0:
        raise ShippingError("Transit days cannot be negative.", field="transit_days")
    if free_over is not None and free_over < 0:
        raise ShippingError("The free-shipping amount cannot be negative.", field="free_over")
    service.name = _name(name)
    service.transit_days = transit_days
    service.is_active = is_active
    service.position = position
    service.free_over = free_over
    db.session.flush()
    return service


def _zone_code(name: str) -> str:
    base = slugify(name)[:16]
    code, n = base, 2
    while db.session.scalar(sa.select(ShippingZone.id).where(ShippingZone.code == code)):
        code, n = f"{base}-{n}", n + 1
    return code


def save_zone(*, name: str, zone: ShippingZone | None = None) -> ShippingZone:
    """Create a zone (its code made from the name) or rename one."""
    name = _name(name)
    if zone is None:
        zone = ShippingZone(code=_zone_code(name))
        db.session.add(zone)
    zone.name = name
    db.session.flush()
    return zone


def add_region(
    *, zone: ShippingZone, country: str, province: str, postal_prefix: str = ""
) -> ZoneRegion:
    """Send a destination to this zone: a whole province, or its postal codes with a prefix.

    A destination belongs to one zone only; the longest matching prefix wins.
    """
    country = (country or "").strip().upper()
    province = (province or "").strip().upper()
    prefix = (postal_prefix or "").replace(" ", "").upper()
    if not COUNTRY.fullmatch(country):
        raise ShippingError("Enter a two-letter country code, like CA.", field="country")
    if not PROVINCE.fullmatch(province):
        raise ShippingError("Enter a province code, like ON.", field="province")
    if not POSTAL_PREFIX.fullmatch(prefix):
        raise ShippingError(
            "Enter the start of a postal code: up to 6 letters and digits, like K1A.",
            field="postal_prefix",
        )
    taken = db.session.scalar(
        sa.select(ZoneRegion)
        .where(
            ZoneRegion.country == country,
            ZoneRegion.province == province,
            ZoneRegion.postal_prefix == prefix,
        )
        .options(selectinload(ZoneRegion.zone))
    )
    if taken is not None:
        where = f"{province} {prefix}".strip() if prefix else f"All of {province}"
        raise ShippingError(
            f"{where} ({country}) is already in the zone \u201c{taken.zone.name}\u201d; "
            "remove it there first.",
            field="postal_prefix" if prefix else "province",
        )
    region = ZoneRegion(country=country, province=province, postal_prefix=prefix)
    zone.regions.append(region)
    db.session.flush()
    return region


def remove_region(*, region: ZoneRegion) -> None:
    db.session.delete(region)
    db.session.flush()


def save_band(
    *, zone: ShippingZone, max_weight_g: int, prices: dict[int, int | None],
    old_max_weight_g: int | None = None,
) -> None:  # fmt: skip
    """Set one weight band of a zone: a price per service id (None: not carried at that weight).

    With old_max_weight_g the band being edited may also get a new weight limit.
    """
    if max_weight_g <= 0:
        raise ShippingError("The weight limit must be at least 1 g.", field="max_weight_g")
    if any(p is not None and p < 0 for p in prices.values()):
        raise ShippingError("A price cannot be negative.")
    if all(p is None for p in prices.values()):
        raise ShippingError("Enter a price for at least one service.")
    if max_weight_g != old_max_weight_g and band_rates(zone, max_weight_g):
        raise ShippingError(
            f"This zone already has a band up to {max_weight_g:,} g; edit that one instead.",
            field="max_weight_g",
        )
    known = set(db.session.scalars(sa.select(ShippingService.id)))
    if not set(prices) <= known:
        raise ShippingError("Choose services from the list.")
    existing = band_rates(zone, old_max_weight_g) if old_max_weight_g is not None else {}
    for service_id, price in prices.items():
        row = existing.get(service_id)
        if price is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = ShippingRate(service_id=service_id, zone_id=zone.id)
            db.session.add(row)
        row.max_weight_g = max_weight_g
        row.price = price
    for service_id, row in existing.items():
        if service_id not in prices:
            row.max_weight_g = max_weight_g  # a service not on the form moves with its band
    db.session.flush()


def delete_band(*, zone: ShippingZone, max_weight_g: int) -> int:
    """Remove a weight band from a zone's table; returns how many rates went."""
    result = db.session.execute(
        sa.delete(ShippingRate).where(
            ShippingRate.zone_id == zone.id, ShippingRate.max_weight_g == max_weight_g
        )
    )
    db.session.flush()
    return result.rowcount


BOX_FIELDS = ("name", "length_mm", "width_mm", "height_mm", "weight_g", "max_weight_g", "is_active")


def save_box(*, data: dict, box: Box | None = None) -> Box:
    """Create or change a box: inner size in mm, its own weight and the most it may carry in g."""
    name = _name(data["name"])
    for field in ("length_mm", "width_mm", "height_mm"):
        if data[field] <= 0:
            raise ShippingError("Enter a size of at least 1 mm.", field=field)
    if data["weight_g"] < 0:
        raise ShippingError("The box's weight cannot be negative.", field="weight_g")
    if data["max_weight_g"] <= data["weight_g"]:
        raise ShippingError(
            "The most a box may weigh must be more than the empty box.", field="max_weight_g"
        )
    same_name = sa.select(Box.id).where(sa.func.lower(Box.name) == name.lower())
    if box is not None:
        same_name = same_name.where(Box.id != box.id)
    if db.session.scalar(same_name) is not None:
        raise ShippingError("There is already a box with this name.", field="name")
    if box is None:
        box = Box()
        db.session.add(box)
    for field in BOX_FIELDS:
        setattr(box, field, data[field])
    box.name = name
    db.session.flush()
    return box
