"""What a discount takes off a cart: pure arithmetic on minor units, no database.

The goods' part is spread over the lines it applies to in proportion to their value
(shop.tax.calculations.apportion, exact to the cent), so each line keeps what it
really cost: taxes, refunds and the e-invoice's line allowances all follow from it.
"""

from dataclasses import dataclass
from decimal import Decimal

from shop.discounts.models import AMOUNT, FREE_SHIPPING, PERCENT
from shop.tax.calculations import apportion, round_half_up


@dataclass(frozen=True)
class Terms:
    """The discount as the rules read it."""

    code: str
    kind: str
    percent: Decimal | None
    amount: int | None
    discount_id: int | None = None


@dataclass(frozen=True)
class Offer:
    """A code good for a cart: its terms and which of the cart's lines it is for."""

    terms: Terms
    eligible: tuple[bool, ...]


@dataclass(frozen=True)
class Taken:
    """What a code takes off: per line (in the cart's order) and off shipping."""

    code: str
    lines: tuple[int, ...]
    shipping: int
    discount_id: int | None = None

    @property
    def goods(self) -> int:
        return sum(self.lines)

    @property
    def total(self) -> int:
        return self.goods + self.shipping


NOTHING = Taken("", (), 0)


def take(terms: Terms, line_totals: list[int], eligible: list[bool], shipping: int) -> Taken:
    """The discount on lines worth `line_totals` (those `eligible` only) and a shipping
    charge of `shipping`."""
    base = [total if ok else 0 for total, ok in zip(line_totals, eligible, strict=True)]
    if terms.kind == FREE_SHIPPING:
        return Taken(terms.code, tuple(0 for _ in base), shipping, terms.discount_id)
    if terms.kind == PERCENT:
        goods = round_half_up(Decimal(sum(base)) * terms.percent / 100)
    elif terms.kind == AMOUNT:
        goods = terms.amount or 0
    else:
        raise ValueError(f"unknown discount kind {terms.kind!r}")
    goods = min(goods, sum(base))  # never more than the goods it applies to
    return Taken(terms.code, tuple(apportion(goods, base)), 0, terms.discount_id)
