"""What an order will cost: goods, shipping for the chosen service and policy, taxes.

The same function prices the checkout pages and the order at placement, from
the cart and the catalogue on the server; nothing here comes from the browser.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shop.cart.services import CartSummary
from shop.catalogue.models import Variant
from shop.discounts.rules import NOTHING, Offer, Taken, take
from shop.extensions import db
from shop.orders.models import SHIP_AVAILABLE_NOW, SHIP_COMPLETE
from shop.shipping.packing import Unit
from shop.shipping.rates import ServiceQuote, Shipment, quote_services, variant_unit, zone_for
from shop.tax.calculations import TaxLine, compute_taxes, rates_for


@dataclass(frozen=True)
class Destination:
    country: str
    province: str
    postal_code: str


@dataclass(frozen=True)
class Pricing:
    subtotal: int  # the goods after any discount code
    quote: ServiceQuote
    taxes: list[TaxLine]
    policy: str
    taken: Taken = NOTHING  # what a discount code took off, per line and off shipping

    @property
    def goods(self) -> int:
        """The goods at their prices, before a discount code."""
        return self.subtotal + self.taken.goods

    @property
    def shipping(self) -> int:
        return self.quote.price - self.taken.shipping

    def line_discount(self, index: int) -> int:
        return self.taken.lines[index] if self.taken.lines else 0

    @property
    def tax_total(self) -> int:
        return sum(t.amount for t in self.taxes)

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping + self.tax_total


def _units(variant, quantity: int) -> list[Unit]:
    return [variant_unit(variant)] * quantity


def shipments_for(summary: CartSummary, policy: str) -> list[Shipment]:
    """The departures an order will really take under a shipping policy."""
    now: list[Unit] = []
    later: dict[date, list[Unit]] = {}
    for line in summary.lines:
        a = line.availability
        now += _units(line.variant, a.available_now)
        if a.backordered:
            later.setdefault(a.ship_date, []).extend(_units(line.variant, a.backordered))
    if policy == SHIP_COMPLETE:
        last = max(later) if later else None
        return [Shipment(now + [u for units in later.values() for u in units], last)]
    return [Shipment(now, None)] + [Shipment(later[d], d) for d in sorted(later)]


def policies_for(summary: CartSummary) -> list[str]:
    """Both policies when something must wait; otherwise there is nothing to choose."""
    return [SHIP_AVAILABLE_NOW, SHIP_COMPLETE] if summary.has_backorders else [SHIP_COMPLETE]


def goods_after_code(summary: CartSummary, offer: Offer | None) -> int:
    """The goods a free-shipping threshold counts: what the customer pays for them, after
    a code's part on the goods (a free-shipping code takes nothing off the goods)."""
    if offer is None:
        return summary.subtotal
    totals = [line.total for line in summary.lines]
    return summary.subtotal - take(offer.terms, totals, list(offer.eligible), 0).goods


def quotes_for(
    summary: CartSummary, destination: Destination, policy: str, offer: Offer | None = None
) -> list[ServiceQuote]:
    """Every service's quote; one free over a threshold is free when the goods after the
    discount code reach it."""
    zone = zone_for(
        country=destination.country,
        province=destination.province,
        postal_code=destination.postal_code,
    )
    if zone is None:
        return []
    return quote_services(
        zone=zone,
        shipments=shipments_for(summary, policy),
        goods_total=goods_after_code(summary, offer),
    )


def price(
    summary: CartSummary,
    destination: Destination,
    quote: ServiceQuote,
    policy: str,
    offer: Offer | None = None,
) -> Pricing:
    """The order's figures; with a discount code's `offer`, tax is on what is left after it."""
    totals = [line.total for line in summary.lines]
    taken = take(offer.terms, totals, list(offer.eligible), quote.price) if offer else NOTHING
    goods_by_class: dict[int, int] = {}
    for index, line in enumerate(summary.lines):
        class_id = line.variant.tax_class_id
        net = line.total - (taken.lines[index] if taken.lines else 0)
        goods_by_class[class_id] = goods_by_class.get(class_id, 0) + net
    taxes = compute_taxes(
        goods_by_class=goods_by_class,
        shipping=quote.price - taken.shipping,
        rates=rates_for(destination.country, destination.province),
    )
    return Pricing(summary.subtotal - taken.goods, quote, taxes, policy, taken)


def shipping_for(order, units_by_line: dict[int, int]) -> int | None:
    """What the order's shipping service asks today for these units (order line id ->
    units) leaving together to the order's address; None when it cannot carry them."""
    zone = zone_for(
        country=order.ship_country, province=order.ship_province,
        postal_code=order.ship_postal_code,
    )  # fmt: skip
    if zone is None:
        return None
    ids = {line.variant_id for line in order.lines}
    variants = {v.id: v for v in db.session.scalars(sa.select(Variant).where(Variant.id.in_(ids)))}
    units, goods = [], 0
    for line in order.lines:
        count = units_by_line.get(line.id, 0)
        units += _units(variants[line.variant_id], count)
        goods += line.line_total * count // line.quantity
    quotes = quote_services(zone=zone, shipments=[Shipment(units, None)], goods_total=goods)
    return next((q.price for q in quotes if q.service.id == order.shipping_service_id), None)


def fingerprint(
    summary: CartSummary, address: dict, service_id: int, policy: str, total: int, code: str = ""
):
    """A digest of everything the customer reviewed; placing checks it still holds."""
    content = {
        "code": code,
        "lines": [(v.variant.id, v.quantity, v.unit_price) for v in summary.lines],
        "address": sorted(address.items()),
        "service": service_id,
        "policy": policy,
        "total": total,
    }
    return hashlib.sha256(json.dumps(content, default=str).encode()).hexdigest()[:32]
