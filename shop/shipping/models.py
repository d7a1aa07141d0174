import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import Base


class Carrier(Base):
    __tablename__ = "carriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    # Dimensional weight: cm3 per kg (Canada Post uses 6000). In grams this is
    # simply L x W x H in mm3 divided by the divisor.
    dim_divisor: Mapped[int] = mapped_column(default=6000)
    # The carrier's public tracking page, with {number} where the tracking number goes.
    tracking_url: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")

    services: Mapped[list["ShippingService"]] = relationship(
        back_populates="carrier", order_by="ShippingService.position"
    )


class ShippingService(Base):
    __tablename__ = "shipping_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(sa.ForeignKey("carriers.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    transit_days: Mapped[int] = mapped_column(default=5)
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    # Free when the goods come to at least this much (minor units); None: never free.
    free_over: Mapped[int | None] = mapped_column(sa.BigInteger)

    carrier: Mapped[Carrier] = relationship(back_populates="services")

    @property
    def full_name(self) -> str:
        return f"{self.carrier.name} {self.name}"


class ShippingZone(Base):
    """A group of destinations priced alike, e.g. 'Ontario' or 'Western Canada'."""

    __tablename__ = "shipping_zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))

    regions: Mapped[list["ZoneRegion"]] = relationship(
        back_populates="zone", cascade="all, delete-orphan"
    )


class ZoneRegion(Base):
    """A destination in a zone: a province, or only its postal codes starting with a prefix."""

    __tablename__ = "zone_regions"
    __table_args__ = (sa.UniqueConstraint("country", "province", "postal_prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("shipping_zones.id"), index=True)
    country: Mapped[str] = mapped_column(sa.String(2), default="CA")
    province: Mapped[str] = mapped_column(sa.String(3))
    postal_prefix: Mapped[str] = mapped_column(sa.String(6), default="")

    zone: Mapped[ShippingZone] = relationship(back_populates="regions")


class ShippingRate(Base):
    """Price of one parcel up to a weight, for a service and a zone."""

    __tablename__ = "shipping_rates"
    __table_args__ = (sa.UniqueConstraint("service_id", "zone_id", "max_weight_g"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("shipping_services.id"), index=True)
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("shipping_zones.id"))
    max_weight_g: Mapped[int] = mapped_column()
    price: Mapped[int] = mapped_column(sa.BigInteger)  # minor units

    service: Mapped[ShippingService] = relationship()
    zone: Mapped[ShippingZone] = relationship()


class Box(Base):
    """A shipping box: inner dimensions for packing, its own weight for the scale."""

    __tablename__ = "boxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    length_mm: Mapped[int] = mapped_column()
    width_mm: Mapped[int] = mapped_column()
    height_mm: Mapped[int] = mapped_column()
    weight_g: Mapped[int] = mapped_column(default=0)
    max_weight_g: Mapped[int] = mapped_column(default=30000)
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm
