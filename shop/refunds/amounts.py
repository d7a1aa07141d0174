"""What a refund gives back, to the cent: goods per line, shipping, each tax component, a fee.

The rules, in one place:

- Goods. A line's units are given back at their share of the line's frozen total,
  never more than is left of it (an amount of goodwill given back on the line counts);
  the refund that gives back a line's last unit takes what is left of it, so the
  refunds of a line add up to its total exactly.
- Restocking fee. A percentage of the goods given back, rounded half-up, kept by
  the store per tax class of the goods. It is taxed like the goods it is kept from:
  the customer gets back the goods less the fee, and the tax on that.
- Shipping. Given back whole (what is left of it), a part of it in cents (never more
  than is left), or not at all.
- Tax. Computed on what is given back by the same calculation as the order
  (shop.tax.calculations.compute_taxes: shipping follows the goods), with the
  order's own rate for each component, never more than what is left of that
  component on the order. The refund that gives back everything left of the
  order takes what is left of each component, so an order refunded in parts is
  credited exactly its invoice's tax.
- Which components tax a class of goods is read from today's rate table for the
  order's destination; the rate applied is the one the order paid.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from shop.orders.models import Order, OrderLine
from shop.refunds.status import RefundError
from shop.tax.calculations import TaxLine, compute_taxes, rates_for, round_half_up


@dataclass(frozen=True)
class LinePart:
    line: OrderLine
    quantity: int  # 0 for an amount given back on the line without its units (goodwill)
    amount: int  # goods, before tax and fee


@dataclass(frozen=True)
class FeePart:
    tax_class_id: int
    tax_class_name: str
    amount: int  # kept by the store, before tax


@dataclass
class RefundAmounts:
    """Everything a refund gives back; total is what goes to the customer."""

    lines: list[LinePart] = field(default_factory=list)
    fees: list[FeePart] = field(default_factory=list)
    shipping: int = 0
    taxes: list[TaxLine] = field(default_factory=list)

    @property
    def goods(self) -> int:
        return sum(part.amount for part in self.lines)

    @property
    def fee(self) -> int:
        return sum(part.amount for part in self.fees)

    @property
    def tax(self) -> int:
        return sum(t.amount for t in self.taxes)

    @property
    def total(self) -> int:
        return self.goods - self.fee + self.shipping + self.tax


@dataclass(frozen=True)
class AlreadyRefunded:
    """What earlier refunds of the order (all but failed ones) gave back."""

    units: dict[int, int]  # order line id -> units
    goods: dict[int, int]  # order line id -> goods amount
    shipping: int
    taxes: dict[tuple[str, Decimal], int]  # (component, rate) -> tax given back
    fee: int  # restocking fees kept


def compute(
    order: Order, *, lines: dict[int, int], shipping: bool | int, fee_percent: Decimal,
    before: AlreadyRefunded,
) -> RefundAmounts:  # fmt: skip
    """The amounts of a refund of these units (order line id -> units) and of the shipping:
    True for all that is left of it, a number of cents for a part, False for none."""
    if fee_percent < 0 or fee_percent > 100:
        raise RefundError("A restocking fee is a percentage from 0 to 100.")
    result = RefundAmounts(lines=_line_parts(order, lines, before))
    result.fees = _fees(result.lines, fee_percent)
    left = order.shipping_total - before.shipping
    if shipping is True:
        result.shipping = left
    elif shipping:
        result.shipping = max(min(int(shipping), left), 0)
    result.taxes = taxes_of(order, result, before)
    return result


def _line_parts(order: Order, wanted: dict[int, int], before: AlreadyRefunded) -> list[LinePart]:
    by_id = {line.id: line for line in order.lines}
    parts = []
    for line_id, units in wanted.items():
        line = by_id.get(line_id)
        if line is None:
            raise RefundError("That item is not on this order.")
        if units <= 0:
            continue
        done = before.units.get(line_id, 0)
        if done + units > line.quantity:
            left = line.quantity - done
            raise RefundError(
                f"Only {left} of {line.name} can still be refunded; {units} were asked."
            )
        goods_left = max(line.line_total - before.goods.get(line_id, 0), 0)
        if done + units == line.quantity:  # the last units take what is left of the line
            amount = goods_left
        else:  # never more than is left of it (an amount of goodwill may have taken some)
            amount = min(
                round_half_up(Decimal(line.line_total) * units / line.quantity), goods_left
            )
        parts.append(LinePart(line=line, quantity=units, amount=amount))
    return parts


def _fees(parts: list[LinePart], fee_percent: Decimal) -> list[FeePart]:
    if not fee_percent:
        return []
    goods: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for part in parts:
        goods[part.line.tax_class_id] += part.amount
        names[part.line.tax_class_id] = part.line.tax_class_name
    fees = [
        FeePart(class_id, names[class_id], round_half_up(Decimal(amount) * fee_percent / 100))
        for class_id, amount in sorted(goods.items())
    ]
    return [fee for fee in fees if fee.amount]


def taxes_of(order: Order, result: RefundAmounts, before: AlreadyRefunded) -> list[TaxLine]:
    left = {(t.component, Decimal(t.rate)): t.amount for t in order.taxes}
    for key, amount in before.taxes.items():
        left[key] = left.get(key, 0) - amount
    if _gives_back_everything_left(order, result, before):
        return [
            TaxLine(component, rate, 0, amount)
            for (component, rate), amount in left.items()
            if amount
        ]  # fmt: skip
    goods: dict[int, int] = defaultdict(int)
    for part in result.lines:
        goods[part.line.tax_class_id] += part.amount
    for fee in result.fees:
        goods[fee.tax_class_id] -= fee.amount
    if not goods and result.shipping:  # shipping alone: it follows the order's goods
        for line in order.lines:
            goods[line.tax_class_id] += line.line_total
        return _shipping_only_taxes(order, goods, result.shipping, left)
    computed = compute_taxes(
        goods_by_class=dict(goods), shipping=result.shipping, rates=_order_rates(order)
    )
    return [_capped(t, left) for t in computed]


def _capped(tax: TaxLine, left: dict) -> TaxLine:
    """Never more of a component than is left of it on the order."""
    most = max(left.get((tax.component, tax.rate), 0), 0)
    return TaxLine(tax.component, tax.rate, tax.taxable, min(tax.amount, most))


def _shipping_only_taxes(order, goods, shipping, left) -> list[TaxLine]:
    """Shipping given back alone: the tax on it as the order shared shipping over its goods,
    that is the order's tax on goods + shipping less its tax on the goods alone."""
    rates = _order_rates(order)
    with_shipping = compute_taxes(goods_by_class=dict(goods), shipping=shipping, rates=rates)
    without = {
        (t.component, t.rate): t
        for t in compute_taxes(goods_by_class=dict(goods), shipping=0, rates=rates)
    }
    lines = []
    for t in with_shipping:
        alone = without.get((t.component, t.rate))
        amount = t.amount - (alone.amount if alone else 0)
        taxable = t.taxable - (alone.taxable if alone else 0)
        lines.append(_capped(TaxLine(t.component, t.rate, taxable, amount), left))
    return lines


def _gives_back_everything_left(order: Order, result: RefundAmounts, before) -> bool:
    if result.fees or before.fee:
        return False
    if before.shipping + result.shipping != order.shipping_total:
        return False
    given = {part.line.id: part.quantity for part in result.lines}
    return all(
        before.units.get(line.id, 0) + given.get(line.id, 0) == line.quantity
        for line in order.lines
    )


@dataclass(frozen=True)
class _Rate:
    component: str
    rate: Decimal


def _order_rates(order: Order) -> dict[int, list[_Rate]]:
    """Today's components for each class of the order's goods, at the rates the order paid."""
    paid = defaultdict(list)
    for tax in order.taxes:
        paid[tax.component].append(Decimal(tax.rate))
    today = rates_for(order.ship_country, order.ship_province)
    rates: dict[int, list[_Rate]] = {}
    for line in order.lines:
        rates[line.tax_class_id] = [
            _Rate(r.component, _paid_rate(Decimal(r.rate), paid.get(r.component, [])))
            for r in today.get(line.tax_class_id, [])
        ]
    return rates


def _paid_rate(today: Decimal, paid: list[Decimal]) -> Decimal:
    """The order's rate for a component: today's if the order paid it, else the one it paid."""
    if today in paid or not paid:
        return today
    return paid[0] if len(paid) == 1 else today
