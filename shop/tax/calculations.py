"""Sales tax of an order: one line per component, rounded half-up once per component.

Shipping follows the goods (as the CRA treats freight charged by the seller):
the shipping charge is shared over the goods in proportion to their value, by
the combined rate they pay, and each share is taxed like those goods.
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


def shipping_shares(goods_by_rate: dict[Decimal, int], shipping: int) -> dict[Decimal, int]:
    """The shipping charge shared over the goods of each combined tax rate.

    The invoice's tax lines and its e-invoice (one shipping charge per tax rate) both
    take their shares from here, so they agree to the cent. Highest rate first: a cent
    left over by the split falls to the most taxed goods.
    """
    keys = sorted(goods_by_rate, reverse=True)
    return dict(zip(keys, apportion(shipping, [goods_by_rate[k] for k in keys]), strict=True))


def combined_rate(rates: list) -> Decimal:
    """What a tax class pays in all at a destination: 0.12 for GST 5% + PST 7%."""
    return sum((Decimal(r.rate) for r in rates), Decimal(0))


def compute_taxes(
    *, goods_by_class: dict[int, int], shipping: int, rates: dict[int, list]
) -> list[TaxLine]:
    """Tax lines for goods (minor units per tax class id) and a shipping charge.

    Shipping is shared first over the combined rates the goods pay (shipping_shares),
    then, within one rate, over its tax classes in proportion to their goods.
    """
    combined = {c: combined_rate(rates.get(c, [])) for c in goods_by_class}
    goods_by_rate: dict[Decimal, int] = defaultdict(int)
    for class_id, goods in goods_by_class.items():
        goods_by_rate[combined[class_id]] += goods
    taxable: dict[tuple[str, Decimal], int] = defaultdict(int)
    for rate_value, share in shipping_shares(goods_by_rate, shipping).items():
        classes = sorted(c for c in goods_by_class if combined[c] == rate_value)
        split = apportion(share, [goods_by_class[c] for c in classes])
        for class_id, class_share in zip(classes, split, strict=True):
            for rate in rates.get(class_id, []):
                base = goods_by_class[class_id] + class_share
                taxable[(rate.component, Decimal(rate.rate))] += base
    lines = [
        TaxLine(component, rate, base, round_half_up(base * rate))
        for (component, rate), base in taxable.items()
    ]
    return sorted(lines, key=lambda t: (COMPONENT_ORDER.get(t.component, 9), -t.rate))
