"""What the demo's history holds and when: the year's shape (seasons, trend, weekdays),
the products' lives, the orders' times and backorders. Every choice comes from
random.Random(seed): the same seed, the same year.
"""

import bisect
import itertools
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from shop.catalogue.models import Category, Product, Variant
from shop.errors import DomainError
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.orders.models import SHIP_COMPLETE
from shop.purchasing.models import Supplier

DEFAULT_SEED = 2025
DEMO_ORDERS_PER_DAY = 10.0
DEMO_CUSTOMERS = 1500
CHUNK_ORDERS = 2000  # orders generated between two bulk writes
INSERT_ROWS = 5000  # rows per INSERT executemany

# Lines per order: 1, 2, 3 or 4, with these weights.
BASKET = (0.42, 0.30, 0.17, 0.11)
RETURNING_SHARE = 0.35  # orders by someone who ordered before
ACCOUNTS_USED = 0.8  # of the customer accounts, those that order during the history
EXPIRED_SHARE = 0.02  # never paid
CANCELLED_SHARE = 0.01  # cancelled before payment
BACKORDER_SHARE = 0.1  # backorderable lines short when ordered
SHIP_NOW_SHARE = 0.8  # of orders with a backorder: "ship what is in stock now"
OPEN_SHARE = 0.03  # of the last 45 days' paid orders: still waiting for a backorder
OPEN_BUCKETS = ((1, 7), (8, 14), (15, 30), (31, 45))  # ages in days
HANDLING_DAYS = 2
PROVIDER = "demo"
PROVIDER_LABEL = "Demo processor"
CARDS = (("Visa ending 4242", 0.7), ("Mastercard ending 4444", 0.3))
# Shipping services chosen, by code (a service missing from the store is skipped).
SERVICE_SHARES = {"regular": 0.70, "expedited": 0.18, "xpresspost": 0.09, "priority": 0.03}

# How busy a month is, before the trend and the weekday.
MONTH_FACTOR = {1: 0.78, 2: 0.78, 3: 0.88, 4: 0.95, 5: 1.05, 6: 1.15, 7: 1.15, 8: 1.05,
                9: 0.9, 10: 0.95, 11: 1.2, 12: 1.55}  # fmt: skip
WEEKDAY_FACTOR = (0.95, 0.9, 0.9, 0.95, 1.0, 1.25, 1.15)  # Monday first
# Local hour of the day an order is placed, Monday to Sunday alike (0 h first).
HOUR_WEIGHTS = (0.6, 0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 2.3, 2.5, 2.8, 2.7, 2.5,
                2.4, 2.4, 2.6, 3.0, 3.4, 3.6, 3.2, 2.4, 1.4)  # fmt: skip

# Products' life over the year: kind -> share of the catalogue (the rest is steady).
LIFECYCLES = {"growing": 0.12, "fading": 0.10, "new": 0.05, "none": 0.03}
SUMMER_WORDS = ("outdoor", "tent", "sleeping", "backpack", "camp", "garden", "paddl", "cycl",
                "climb", "running", "sport", "planter", "seed", "watering")  # fmt: skip
WINTER_WORDS = ("jacket", "blanket", "bedding", "candle", "parka", "socks", "rug", "lamp")


class HistoryError(DomainError):
    """History cannot be generated on this store (it has orders, or nothing to sell)."""


@dataclass
class HistoryResult:
    orders: int = 0
    sold: int = 0
    lines: int = 0
    customers: int = 0  # registered customer accounts created
    guests: int = 0  # distinct guest emails
    shipments: int = 0
    open_backorders: int = 0  # orders still waiting for a backordered line
    invoices: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"History: {self.orders} orders ({self.sold} sold, {self.open_backorders} still "
            f"waiting for a backorder), {self.lines} lines, {self.shipments} shipments, "
            f"{self.customers} customer accounts and {self.guests} guests, "
            f"{self.invoices} invoices, in {self.seconds:.1f} s."
        )


# --- the catalogue as the generator sees it ---------------------------------------


@dataclass(slots=True)
class Item:
    """A variant, with what the plan needs of it (what is bought, what runs short)."""

    id: int
    price: int
    backorderable: bool
    on_hand: int
    lead_days: int


@dataclass
class Line:
    item: Item
    quantity: int


@dataclass
class ProductPlan:
    """A product's variants and how it sells over the year."""

    id: int
    items: list[Item]
    cumulative: list[float]  # variants' weights, for bisect
    popularity: float
    lifecycle: str = "steady"
    launch: int = 0  # day index of the first sale of a "new" product
    season: str = "flat"

    def pick(self, rng: random.Random) -> Item:
        x = rng.random() * self.cumulative[-1]
        return self.items[bisect.bisect_right(self.cumulative, x)]

    def weight(self, day: int, days: int, doy: int) -> float:
        return self.popularity * self.life(day, days) * season_factor(self.season, doy)

    def life(self, day: int, days: int) -> float:
        t = day / max(days - 1, 1)
        if self.lifecycle == "growing":
            return 0.3 + 1.9 * t**1.3
        if self.lifecycle == "fading":
            return max(0.15, 1.9 - 1.75 * t)
        if self.lifecycle == "new":
            return 0.0 if day < self.launch else min(1.6, 0.8 + 0.8 * (day - self.launch) / 28)
        if self.lifecycle == "none":
            return 0.0
        return 1.0


def season_factor(season: str, doy: int) -> float:
    if season == "summer":  # peak in mid-July, trough in mid-January
        return 1 + 0.75 * math.cos(2 * math.pi * (doy - 195) / 365.25)
    if season == "winter":  # peak in early December
        return 1 + 0.5 * math.cos(2 * math.pi * (doy - 340) / 365.25)
    return 1.0


def _season_of(path: str) -> str:
    path = path.lower()
    if any(word in path for word in WINTER_WORDS):
        return "winter"
    if any(word in path for word in SUMMER_WORDS):
        return "summer"
    return "flat"


def _category_paths() -> dict[int, str]:
    rows = db.session.execute(sa.select(Category.id, Category.parent_id, Category.name)).all()
    parent = {r.id: r.parent_id for r in rows}
    name = {r.id: r.name for r in rows}
    paths = {}
    for cid in name:
        chain, node = [], cid
        while node is not None and len(chain) < 20:
            chain.append(name[node])
            node = parent[node]
        paths[cid] = " / ".join(reversed(chain))
    return paths


def load_catalogue(rng: random.Random, days: int) -> list[ProductPlan]:
    """Every active variant, grouped by product, with each product's popularity and life."""
    default_lead = current_app.config["DEFAULT_LEAD_TIME_DAYS"]
    paths = _category_paths()
    rows = db.session.execute(
        sa.select(
            Variant, Product.category_id, Product.backorderable, StockLevel.on_hand,
            sa.func.coalesce(StockLevel.lead_time_days, Supplier.lead_time_days, default_lead),
        )
        .join(Product, Product.id == Variant.product_id)
        .outerjoin(StockLevel, StockLevel.variant_id == Variant.id)
        .outerjoin(Supplier, Supplier.id == StockLevel.supplier_id)
        .where(Variant.is_active.is_(True), Product.is_active.is_(True))
        .order_by(Variant.product_id, Variant.position, Variant.id)
    ).all()  # fmt: skip
    plans: dict[int, ProductPlan] = {}
    for variant, category_id, backorderable, on_hand, lead in rows:
        plan = plans.get(variant.product_id)
        if plan is None:
            plan = plans[variant.product_id] = ProductPlan(variant.product_id, [], [], 1.0)
            plan.season = _season_of(paths.get(category_id, ""))
        plan.items.append(
            Item(variant.id, variant.price, bool(backorderable), on_hand or 0, int(lead))
        )
    products = list(plans.values())
    _shape_products(rng, products, days)
    return products


def _shape_products(rng: random.Random, products: list[ProductPlan], days: int) -> None:
    """Popularity (a long tail, cheaper things sell more), variants' shares, life cycles."""
    ranks = list(range(1, len(products) + 1))
    rng.shuffle(ranks)
    for plan, rank in zip(products, ranks, strict=True):
        price = max(min(i.price for i in plan.items), 100)
        plan.popularity = rank**-0.75 * (price / 5000) ** -0.3
        weights = [rng.uniform(0.4, 1.6) for _ in plan.items]
        plan.cumulative = list(itertools.accumulate(weights))
    order = list(products)
    rng.shuffle(order)
    start = 0
    for kind, share in LIFECYCLES.items():
        count = max(1, round(share * len(order))) if len(order) >= 10 else 0
        for plan in order[start : start + count]:
            plan.lifecycle = kind
            if kind == "new":  # first sale 10 to 20 weeks ago
                plan.launch = max(0, days - rng.randint(70, 140))
        start += count


def next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


# --- time --------------------------------------------------------------------------


class Clock:
    """The store's days: local dates, business-day afternoons, UTC moments."""

    def __init__(self, tz: ZoneInfo, now: datetime):
        self.tz = tz
        self.now = now
        self.today = now.astimezone(tz).date()
        self.hours = list(itertools.accumulate(HOUR_WEIGHTS))

    def local(self, day: date, hour: int, minute: int, second: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=self.tz)

    def order_times(self, rng: random.Random, day: date, count: int) -> list[datetime]:
        times = []
        for _ in range(count):
            hour = bisect.bisect_right(self.hours, rng.random() * self.hours[-1])
            moment = self.local(day, min(hour, 23), rng.randint(0, 59), rng.randint(0, 59))
            times.append(moment.astimezone(UTC))
        return sorted(times)

    def ship_time(self, rng: random.Random, after: datetime, days: int = 0) -> datetime:
        """An afternoon of a working day (Monday to Friday), `days` or more days after."""
        local = after.astimezone(self.tz)
        day = local.date() + timedelta(days=days)
        if days == 0 and local.hour >= 13:
            day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        moment = self.local(day, rng.randint(14, 17), rng.randint(0, 59)).astimezone(UTC)
        return max(moment, after + timedelta(minutes=20))

    def store_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


def _black_friday(year: int) -> date:
    november = date(year, 11, 1)
    first_thursday = november + timedelta(days=(3 - november.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def day_factor(day: date) -> float:
    """How busy a date is compared with an ordinary one (before the trend)."""
    factor = MONTH_FACTOR[day.month] * WEEKDAY_FACTOR[day.weekday()]
    if day.month == 12:
        factor *= 1.1 if day.day <= 20 else 0.85 if day.day <= 24 else 0.4 if day.day <= 26 else 0.6
    since_friday = (day - _black_friday(day.year)).days
    if since_friday == 0:
        factor *= 2.2
    elif since_friday in (1, 2):
        factor *= 1.4
    elif since_friday == 3:  # Cyber Monday
        factor *= 1.8
    return factor


def daily_means(first: date, days: int, orders_per_day: float) -> list[float]:
    raw = []
    for n in range(days):
        trend = 0.9 + 0.2 * n / max(days - 1, 1)
        raw.append(trend * day_factor(first + timedelta(days=n)))
    scale = orders_per_day * days / sum(raw)
    return [r * scale for r in raw]


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def open_backorder_plan(rng: random.Random, means: list[float]) -> dict[int, int]:
    """How many of each day's paid orders still wait for a backorder: every age bucket gets
    at least one, the rest in proportion to the bucket's width. Keys are day indexes."""
    days = len(means)
    buckets = [(lo, min(hi, days)) for lo, hi in OPEN_BUCKETS if lo <= days]
    if not buckets:
        return {}
    recent = sum(means[days - age] for lo, hi in buckets for age in range(lo, hi + 1))
    total = max(len(buckets), round(OPEN_SHARE * recent * (1 - EXPIRED_SHARE - CANCELLED_SHARE)))
    widths = [hi - lo + 1 for lo, hi in buckets]
    extra = total - len(buckets)
    shares = [1 + int(extra * w / sum(widths)) for w in widths]
    shares[-1] += total - sum(shares)
    plan: dict[int, int] = defaultdict(int)
    for (lo, hi), count in zip(buckets, shares, strict=True):
        for _ in range(count):
            plan[days - rng.randint(lo, hi)] += 1
    return plan


# --- one order -----------------------------------------------------------------------


@dataclass
class Departure:
    units: list[tuple[int, int]]  # (line index, quantity)
    shipped_at: datetime | None  # None: still waiting (an open backorder)


@dataclass
class Sale:
    """One order being made: what it holds and how it left."""

    lines: list[Line]
    shipped_now: list[int]  # per line: units in the first departure
    later: list[int]  # per line: units backordered at placement
    later_at: list[datetime | None]  # per line: when the backordered part left (None: open)
    expected: list[date | None]
    policy: str = SHIP_COMPLETE
    departures: list[Departure] = field(default_factory=list)
