"""Sales tax of an order: one line per component, rounded half-up once per component.

Shipping follows the goods (as the CRA treats freight charged by the seller):
the shipping charge is shared over the tax classes in proportion to the goods
of each class, and each share is taxed like those goods.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from shop.extensions import db
from shop.tax.models import TaxRate

# The order components appear in on an invoice.
COMPONENT_ORDER = {"GST": 0, "HST": 1, "PST": 2, "QST": 3}


@dataclass(frozen=True)
class TaxLine:
    component: str
    rate: Decimal
    taxable: int  # minor units the rate applies to (goods + shipping share)
    amount: int  # minor units, rounded half-up

    @property
    def label(self) -> str:
        percent = (self.rate * 100).normalize()
        return f"{self.component} {percent:f}%"


def round_half_up(value: Decimal) -> int:
    """The one rounding rule of the store, for tax amounts in minor units."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split `total` minor units in proportion to `weights`, summing exactly to total."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    exact = [Decimal(total) * w / whole for w in weights]
    shares = [int(x) for x in exact]
    leftovers = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in leftovers[: total - sum(shares)]:
        shares[i] += 1
    return shares


def rates_for(country: str, province: str) -> dict[int, list[TaxRate]]:
    """Tax rates at a destination, by tax class id."""
    rows = db.session.scalars(
        sa.select(TaxRate).where(TaxRate.country == country, TaxRate.province == province)
    )
    by_class: dict[int, list[TaxRate]] = defaultdict(list)
    for row in rows:
        by_class[row.tax_class_id].append(row)
    return by_class


def compute_taxes(
    *, goods_by_class: dict[int, int], shipping: int, rates: dict[int, list]
) -> list[TaxLine]:
    """Tax lines for goods (minor units per tax class id) and a shipping charge."""
    classes = sorted(goods_by_class)
    shipping_shares = apportion(shipping, [goods_by_class[c] for c in classes])
    taxable: dict[tuple[str, Decimal], int] = defaultdict(int)
    for class_id, share in zip(classes, shipping_shares, strict=True):
        for rate in rates.get(class_id, []):
            taxable[(rate.component, Decimal(rate.rate))] += goods_by_class[class_id] + share
    lines = [
        TaxLine(component, rate, base, round_half_up(base * rate))
        for (component, rate), base in taxable.items()
    ]
    return sorted(lines, key=lambda t: (COMPONENT_ORDER.get(t.component, 9), t.rate))
