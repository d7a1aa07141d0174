"""How many of a variant a customer can have now, and when the rest ships.

This is the one place that answers; every page that shows availability calls it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

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

    def message(self) -> str:
        """The line a customer reads beside the product or cart line."""
        if self.status == IN_STOCK:
            return "In stock"
        if self.status == LOW_STOCK:
            return f"Only {self.on_hand_free} left"
        if self.status == UNAVAILABLE:
            return f"Only {self.on_hand_free} left" if self.on_hand_free else "Out of stock"
        days = f"ships in about {self.ship_in_days} days"
        if self.status == PARTIAL:
            return f"{self.available_now} in stock now; {self.backordered} {days}"
        return f"Out of stock - {days}"


def lead_time_days(stock) -> int:
    """The variant's own lead time, else its supplier's, else the store default."""
    if stock is not None and stock.lead_time_days is not None:
        return stock.lead_time_days
    if stock is not None and stock.supplier is not None:
        return stock.supplier.lead_time_days
    return current_app.config["DEFAULT_LEAD_TIME_DAYS"]


def store_today() -> date:
    """Today's date where the store is (its TIMEZONE), not where the server is."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def availability(variant, quantity: int = 1, today: date | None = None) -> Availability:
    """Availability of `quantity` units of `variant` (its stock and product loaded)."""
    stock = variant.stock
    free = max(stock.on_hand - stock.allocated, 0) if stock is not None else 0
    lead = lead_time_days(stock) if free < quantity else 0
    return availability_for(
        free=free,
        lead_days=lead,
        backorderable=variant.product.backorderable,
        quantity=quantity,
        today=today,
    )


def availability_for(
    *, free: int, lead_days: int, backorderable: bool, quantity: int = 1, today: date | None = None
) -> Availability:
    """The rule itself, from plain figures: free units, supplier lead time, backorderable."""
    now = min(free, quantity)
    short = quantity - now
    low = current_app.config["LOW_STOCK_THRESHOLD"]
    if short == 0:
        status = LOW_STOCK if free <= low else IN_STOCK
        return Availability(quantity, now, 0, None, None, status, free)
    if not backorderable:
        return Availability(quantity, now, short, None, None, UNAVAILABLE, free)
    days = lead_days + current_app.config["HANDLING_DAYS"]
    ship_date = (today or store_today()) + timedelta(days=days)
    status = PARTIAL if now else BACKORDER
    return Availability(quantity, now, short, ship_date, days, status, free)
