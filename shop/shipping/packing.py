"""Packing units into boxes, and what a parcel weighs for the carrier.

First try the smallest box that takes everything; otherwise first-fit
decreasing by volume into the largest box, then shrink every parcel to the
smallest box that still takes its contents. A unit that fits no box ships in
its own packaging. Boxes are filled to FILL of their volume at most, because
real goods never tessellate.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

FILL = Decimal("0.85")


@dataclass(frozen=True)
class Unit:
    """One unit of a variant as the packer sees it."""

    variant_id: int
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int

    @property
    def volume(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(sorted((self.length_mm, self.width_mm, self.height_mm)))


@dataclass(frozen=True)
class BoxSpec:
    id: int | None
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int = 0
    max_weight_g: int = 30000

    @property
    def volume(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(sorted((self.length_mm, self.width_mm, self.height_mm)))

    def takes(self, unit: Unit) -> bool:
        return all(u <= b for u, b in zip(unit.dims, self.dims, strict=True))

    def holds(self, units: list[Unit]) -> bool:
        return (
            all(self.takes(u) for u in units)
            and sum(u.volume for u in units) <= FILL * self.volume
            and sum(u.weight_g for u in units) + self.weight_g <= self.max_weight_g
        )


@dataclass
class Parcel:
    box: BoxSpec | None  # None: the unit ships in its own packaging
    units: list[Unit] = field(default_factory=list)

    @property
    def dims_mm(self) -> tuple[int, int, int]:
        if self.box is not None:
            return (self.box.length_mm, self.box.width_mm, self.box.height_mm)
        unit = self.units[0]
        return (unit.length_mm, unit.width_mm, unit.height_mm)

    @property
    def weight_g(self) -> int:
        box_weight = self.box.weight_g if self.box else 0
        return box_weight + sum(u.weight_g for u in self.units)

    def billable_weight_g(self, dim_divisor: int) -> int:
        """max(actual weight, L x W x H / divisor), in grams."""
        length, width, height = self.dims_mm
        dimensional = math.ceil(length * width * height / dim_divisor)
        return max(self.weight_g, dimensional)


def pack(units: list[Unit], boxes: list[BoxSpec]) -> list[Parcel]:
    """Parcels for these units using these boxes; [] when there is nothing to ship."""
    if not units:
        return []
    by_size = sorted(boxes, key=lambda b: (b.volume, b.max_weight_g))
    single = next((b for b in by_size if b.holds(units)), None)
    if single is not None:
        return [Parcel(single, list(units))]
    parcels: list[Parcel] = []
    for unit in sorted(units, key=lambda u: (u.volume, u.weight_g), reverse=True):
        _place(unit, parcels, by_size)
    for parcel in parcels:
        if parcel.box is not None:
            parcel.box = next(b for b in by_size if b.holds(parcel.units))
    return parcels


def _place(unit: Unit, parcels: list[Parcel], by_size: list[BoxSpec]) -> None:
    for parcel in parcels:
        if parcel.box is not None and parcel.box.holds([*parcel.units, unit]):
            parcel.units.append(unit)
            return
    fitting = [b for b in by_size if b.holds([unit])]
    parcels.append(Parcel(fitting[-1] if fitting else None, [unit]))
