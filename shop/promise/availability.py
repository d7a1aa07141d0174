"""How many of a variant a customer can have now, and when the rest ships.

This is the one place that answers; every page that shows availability calls it.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app

from shop.clock import store_today
from shop.promise.incoming import arrivals_for, covering, promised_for

IN_STOCK = "in_stock"
LOW_STOCK = "low_stock"
PARTIAL = "partial"  # some now, the rest later
BACKORDER = "backorder"  # none now, all later
UNAVAILABLE = "unavailable"  # none now and not backorderable


@dataclass(frozen=True)
class Availability:
    requested: int
    available_now: int  # of the requested quantity, how many can ship now
    backordered: int  # of the requested quantity, how many must wait
    ship_date: date | None  # when the backordered part is expected to ship
    ship_in_days: int | None  # days from today to ship_date
    status: str
    on_hand_free: int  # free stock, whatever was asked

    @property
    def can_order(self) -> bool:
        return self.status != UNAVAILABLE

    @property
    def ships_later(self) -> bool:
        """Orderable, but none of it ships now: buying it is a pre-order."""
        return self.status == BACKORDER

    def message(self) -> str:
        """The line a customer reads beside the product or cart line."""
        if self.status == IN_STOCK:
            return "In stock"
        if self.status == LOW_STOCK:
            return f"Only {self.on_hand_free} left"
        if self.status == UNAVAILABLE:
            return f"Only {self.on_hand_free} left" if self.on_hand_free else "Out of stock"
        unit = "day" if self.ship_in_days == 1 else "days"
        days = f"in about {self.ship_in_days} {unit}"
        if self.status == PARTIAL:
            ship = "ships" if self.backordered == 1 else "ship"  # "1 ships", "2 ship"
            return f"{self.available_now} in stock now; {self.backordered} {ship} {days}"
        return f"Out of stock - ships {days}"


def lead_time_days(stock) -> int:
    """The variant's own lead time, else its supplier's, else the store default."""
    if stock is not None and stock.lead_time_days is not None:
        return stock.lead_time_days
    if stock is not None and stock.supplier is not None:
        return stock.supplier.lead_time_days
    return current_app.config["DEFAULT_LEAD_TIME_DAYS"]


def availability(
    variant, quantity: int = 1, today: date | None = None, incoming: dict | None = None
) -> Availability:
    """Availability of `quantity` units of `variant` (its stock and product loaded).

    The part that must wait ships after the earliest open purchase order that
    covers it (behind the units other orders are already waiting for), else after
    the supplier lead time. `incoming` is what incoming_for() found for many
    variants at once; without it, a short variant costs two small queries.
    """
    stock = variant.stock
    free = max(stock.on_hand - stock.allocated, 0) if stock is not None else 0
    lead = lead_time_days(stock) if free < quantity else 0
    today = today or store_today()
    arrival = None
    variant_id = getattr(variant, "id", None)  # None: not saved, so nothing is on order
    if free < quantity and variant.product.backorderable and variant_id is not None:
        if incoming is None or variant_id not in incoming:
            incoming = incoming_for([variant_id], today)
        arrival = incoming[variant_id].arrival_for(quantity - free, today)
    return availability_for(
        free=free,
        lead_days=lead,
        backorderable=variant.product.backorderable,
        quantity=quantity,
        today=today,
        arrival=arrival,
    )


def availability_for(
    *, free: int, lead_days: int, backorderable: bool, quantity: int = 1,
    today: date | None = None, arrival: date | None = None,
) -> Availability:  # fmt: skip
    """The rule itself, from plain figures: free units, supplier lead time, backorderable.

    arrival: the day the covering purchase order is expected (None: none covers it,
    the lead time counts). Listings pass no arrival: they show the lead time.
    """
    now = min(free, quantity)
    short = quantity - now
    low = current_app.config["LOW_STOCK_THRESHOLD"]
    if short == 0:
        status = LOW_STOCK if free <= low else IN_STOCK
        return Availability(quantity, now, 0, None, None, status, free)
    if not backorderable:
        return Availability(quantity, now, short, None, None, UNAVAILABLE, free)
    today = today or store_today()
    if arrival is not None:
        ship_date = max(arrival, today) + timedelta(days=current_app.config["HANDLING_DAYS"])
        days = (ship_date - today).days
    else:
        days = lead_days + current_app.config["HANDLING_DAYS"]
        ship_date = today + timedelta(days=days)
    status = PARTIAL if now else BACKORDER
    return Availability(quantity, now, short, ship_date, days, status, free)


# --- goods on order ------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """What is on order for a variant, and how many units orders already wait for."""

    promised: int  # backordered units of open orders: they are served first
    arrivals: tuple  # promise.incoming.Arrival, earliest first

    def arrival_for(self, short: int, today: date) -> date | None:
        """The day the earliest open purchase order covering `short` more units comes."""
        found = covering(list(self.arrivals), self.promised, short)
        return max(found.expected, today) if found is not None else None


def incoming_for(variant_ids, today: date | None = None) -> dict[int, Incoming]:
    """Incoming goods of many variants in two queries, whatever their number."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    arrivals = arrivals_for(ids, today or store_today())
    promised = promised_for(ids)
    return {i: Incoming(promised.get(i, 0), tuple(arrivals.get(i, ()))) for i in ids}


def availabilities(wanted, today: date | None = None) -> list[Availability]:
    """availability() of many (variant, quantity) pairs, with the goods on order of all
    the short ones read at once (a cart, a product page's variants)."""
    today = today or store_today()
    short = [
        variant.id
        for variant, quantity in wanted
        if variant.product.backorderable
        and (variant.stock is None or variant.stock.on_hand - variant.stock.allocated < quantity)
    ]
    incoming = incoming_for(short, today) if short else {}
    return [availability(v, q, today=today, incoming=incoming) for v, q in wanted]
