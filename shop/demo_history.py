"""A believable year of sales: the demo store's past, and the report benchmarks' data.

generate_history() writes the orders of the `days` days before today (ending
yesterday, in the store's time zone) as the checkout, payment and warehouse
would have left them: paid orders with their lines (the variant's price and
cost), taxes (computed by shop.tax.calculations from the seeded rates),
shipping priced from the carrier rate tables (packed by shop.shipping.packing;
free Regular Parcel over its threshold, its carrier cost kept either way), a
demo payment each, and shipments with parcels and tracking numbers a few days
later. A few orders expired unpaid or were cancelled before payment.

The shape: seasonality (Black Friday, December, a summer peak for camping
categories and a winter one for jackets and blankets, busier weekends), an
upward trend of about +20 % over the year, products that grow, fade, are new
in the last 10-20 weeks or never sell, baskets of 1-4 lines, and about 35 % of
orders from returning customers (registered or guests with the same email).
About 8 % of lines (10 % of backorderable ones) were short when ordered: their order shipped
in two parts (or, if the customer chose to wait, in one later shipment). Some
3 % of the last 45 days' paid orders are still waiting for a backorder today,
in every age bucket (1-7, 8-14, 15-30 and 31-45 days), preferably on variants
that are out of stock now.

History never touches stock: today's stock is the seeded stock (no stock
movements, no allocation is left open: quantity_allocated is 0 on every line),
so on_hand still equals the sum of movements and `allocated` stays true.

Everything is written with SQLAlchemy Core bulk inserts in chunks, with
explicit ids (PostgreSQL's sequences are moved past them afterwards), so
200,000 orders take minutes. Random choices come from random.Random(seed);
only secrets (order access tokens, session tokens) come from `secrets`.

The books (books=True, the demo): every sold order goes through the real
services, in the order the orders were paid: billing.issue_invoice (with the
invoice module's clock set to the payment time, so invoices are dated when
paid and numbered gaplessly in their year's series, INV-2025-... and
INV-2026-..., which the next real checkout continues), accounting.post_sale,
post_processor_fee (the demo provider's fee schedule) and post_cost_of_goods
per shipment, each entry dated when it happened. This costs a few
milliseconds per order (about 10-20 s for the demo's ~3,500 orders on
SQLite). Two summary entries per month keep the balance sheet plausible
without purchase orders: stock bought to replace what shipped (inventory /
bank, "history:2026-03:restock"); the processor's payouts are daily, as the
demo provider's job makes them (shop.payouts.services.pay_out_demo, up to yesterday).
The seeded stock's opening entries (inventory / opening balance equity) are dated the
history's first day; shipments and restocks both go at the variant's cost, which is
its average cost (the stock never moved), so the inventory account stays equal to
the stock's value at cost (shop.inventory.valuation).
books=False (the benchmarks) writes no invoices and no journal entries.
"""

import bisect
import itertools
import math
import random
import secrets
import time
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop import clock
from shop.accounting import chart
from shop.accounting import services as books_services
from shop.accounting.models import JournalEntry
from shop.accounts import roles
from shop.accounts.models import Address, User
from shop.accounts.passwords import hash_password
from shop.billing import services as billing
from shop.catalogue.models import Category, Product, Variant
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.fulfilment.models import Shipment
from shop.fulfilment.services import NUMBER_PREFIX as SHIPMENT_PREFIX
from shop.fulfilment.services import OWN_PACKAGING, luhn_check_digit
from shop.inventory.models import StockLevel
from shop.inventory.valuation import OPENING_STOCK
from shop.orders import status as order_status
from shop.orders.models import SHIP_AVAILABLE_NOW, SHIP_COMPLETE, Order, OrderLine
from shop.payouts import services as payouts
from shop.purchasing.models import Supplier
from shop.shipping.models import Box, Carrier, ShippingRate, ShippingService, ZoneRegion
from shop.shipping.packing import BoxSpec, Unit, pack
from shop.shipping.rates import band_price
from shop.store_details.services import store_settings
from shop.tax.calculations import compute_taxes
from shop.tax.models import TaxClass, TaxRate

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

# province, weight, [(city, postal prefixes)], phone area code
PROVINCES = [
    ("ON", 38.0, [("Toronto", "M4 M5 M6"), ("Mississauga", "L5"), ("Brampton", "L6"),
                  ("Hamilton", "L8"), ("Ottawa", "K1 K2"), ("London", "N6"),
                  ("Kitchener", "N2"), ("Kingston", "K7"), ("Barrie", "L4"),
                  ("Sudbury", "P3"), ("Thunder Bay", "P7"), ("Peterborough", "K9")], "416"),
    ("QC", 18.0, [("Montréal", "H2 H3 H4"), ("Québec", "G1"), ("Laval", "H7"),
                  ("Gatineau", "J8"), ("Sherbrooke", "J1")], "514"),
    ("BC", 14.0, [("Vancouver", "V5 V6"), ("Victoria", "V8"), ("Surrey", "V3"),
                  ("Kelowna", "V1"), ("Burnaby", "V5")], "604"),
    ("AB", 12.5, [("Calgary", "T2 T3"), ("Edmonton", "T5 T6"), ("Red Deer", "T4"),
                  ("Lethbridge", "T1"), ("Canmore", "T1")], "403"),
    ("MB", 3.5, [("Winnipeg", "R2 R3"), ("Brandon", "R7")], "204"),
    ("SK", 3.0, [("Saskatoon", "S7"), ("Regina", "S4")], "306"),
    ("NS", 3.2, [("Halifax", "B3"), ("Sydney", "B1")], "902"),
    ("NB", 2.3, [("Moncton", "E1"), ("Fredericton", "E3"), ("Saint John", "E2")], "506"),
    ("NL", 1.4, [("St. John's", "A1")], "709"),
    ("PE", 0.5, [("Charlottetown", "C1")], "902"),
    ("YT", 0.15, [("Whitehorse", "Y1")], "867"),
    ("NT", 0.1, [("Yellowknife", "X1")], "867"),
    ("NU", 0.05, [("Iqaluit", "X0")], "867"),
]  # fmt: skip
FIRST_NAMES = [
    "Olivia", "Liam", "Emma", "Noah", "Charlotte", "William", "Amelia", "Benjamin", "Sophie",
    "Lucas", "Chloé", "Gabriel", "Léa", "Félix", "Maya", "Ethan", "Ava", "Jacob", "Zoé",
    "Samuel", "Isabelle", "Nathan", "Priya", "Arjun", "Mei", "Wei", "Aisha", "Omar", "Fatima",
    "Hiroshi", "Yuki", "Ananya", "Rohan", "Sofia", "Mateo", "Camila", "Daniel", "Grace",
    "Owen", "Hannah", "Jack", "Ella", "Thomas", "Alice", "Louis", "Juliette", "Raphaël",
    "Nora", "Connor", "Claire", "Simon", "Mathilde", "Harpreet", "Jasmine", "Kwame", "Ines",
]  # fmt: skip
LAST_NAMES = [
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin",
    "Smith", "Brown", "Wilson", "MacDonald", "Campbell", "Anderson", "Taylor", "Thompson",
    "Martin", "Lee", "Li", "Wang", "Chen", "Nguyen", "Singh", "Patel", "Sharma", "Kim",
    "Park", "Ahmed", "Khan", "Ali", "Garcia", "Rodriguez", "Silva", "Murphy", "O'Brien",
    "Kelly", "Fraser", "Stewart", "Robertson", "Clarke", "Young", "King", "White", "Walker",
    "Bélanger", "Pelletier", "Leblanc", "Cormier", "Boudreau", "Okafor", "Mensah", "Haddad",
]  # fmt: skip
STREETS = [
    "Queen St W", "King St E", "Main St", "Maple Ave", "Elm St", "Oak Cres", "Lakeshore Rd",
    "Church St", "Park Ave", "Victoria St", "Wellington St", "Birch Dr", "Cedar Lane",
    "rue Saint-Denis", "boul. René-Lévesque", "rue Sherbrooke", "Jasper Ave", "Whyte Ave",
    "Granville St", "Commercial Dr", "Portage Ave", "Spring Garden Rd", "Water St",
    "Dundas St", "Bloor St W", "Yonge St", "College St", "Broadway", "1st Ave", "Hillside Dr",
]  # fmt: skip


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
    """A variant, with what an order line, a parcel and a backorder need of it."""

    id: int
    sku: str
    name: str
    price: int
    cost: int
    tax_class_id: int
    tax_class_name: str
    unit: Unit
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
            Variant, Product.name, Product.category_id, Product.backorderable, TaxClass.name,
            StockLevel.on_hand, sa.func.coalesce(StockLevel.lead_time_days,
                                                 Supplier.lead_time_days, default_lead),
        )
        .join(Product, Product.id == Variant.product_id)
        .join(TaxClass, TaxClass.id == Variant.tax_class_id)
        .outerjoin(StockLevel, StockLevel.variant_id == Variant.id)
        .outerjoin(Supplier, Supplier.id == StockLevel.supplier_id)
        .where(Variant.is_active.is_(True), Product.is_active.is_(True))
        .order_by(Variant.product_id, Variant.position, Variant.id)
    ).all()  # fmt: skip
    plans: dict[int, ProductPlan] = {}
    for variant, product_name, category_id, backorderable, class_name, on_hand, lead in rows:
        plan = plans.get(variant.product_id)
        if plan is None:
            plan = plans[variant.product_id] = ProductPlan(variant.product_id, [], [], 1.0)
            plan.season = _season_of(paths.get(category_id, ""))
        plan.items.append(_item(variant, product_name, class_name, backorderable, on_hand, lead))
    products = list(plans.values())
    _shape_products(rng, products, days)
    return products


def _item(variant, product_name, class_name, backorderable, on_hand, lead) -> Item:
    values = [v for v in (variant.option1, variant.option2) if v]
    name = f"{product_name} ({' / '.join(values)})" if values else product_name
    unit = Unit(variant.id, variant.length_mm or 1, variant.width_mm or 1,
                variant.height_mm or 1, variant.weight_g or 1)  # fmt: skip
    return Item(
        id=variant.id, sku=variant.sku, name=name, price=variant.price, cost=variant.cost,
        tax_class_id=variant.tax_class_id, tax_class_name=class_name, unit=unit,
        backorderable=bool(backorderable), on_hand=on_hand or 0, lead_days=int(lead),
    )  # fmt: skip


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


# --- reference data: taxes and shipping, read once ---------------------------------


@dataclass(frozen=True)
class Rate:
    component: str
    rate: object  # Decimal


@dataclass
class Service:
    id: int
    code: str
    full_name: str
    free_over: int | None
    dim_divisor: int
    bands: dict[int, list[tuple[int, int]]]  # zone id -> (max weight, price), lightest first


@dataclass
class Reference:
    """Tax rates by province and the carrier tables, so an order costs no query."""

    rates: dict[str, dict[int, list[Rate]]]
    regions: dict[str, list[tuple[str, int]]]  # province -> (postal prefix, zone id)
    services: list[Service]
    boxes: list[BoxSpec]
    packed: dict[tuple, list] = field(default_factory=dict)

    def zone(self, province: str, postal_code: str) -> int | None:
        """The longest matching postal prefix, as shipping.rates.zone_for finds it."""
        postal = postal_code.replace(" ", "").upper()
        matching = [(len(p), z) for p, z in self.regions.get(province, []) if postal.startswith(p)]
        return max(matching)[1] if matching else None

    def pack(self, units: list[tuple[Item, int]]) -> list:
        key = tuple(sorted((item.id, qty) for item, qty in units))
        parcels = self.packed.get(key)
        if parcels is None:
            parcels = pack([item.unit for item, qty in units for _ in range(qty)], self.boxes)
            self.packed[key] = parcels
        return parcels


def load_reference() -> Reference:
    rates: dict[str, dict[int, list[Rate]]] = defaultdict(lambda: defaultdict(list))
    for row in db.session.scalars(sa.select(TaxRate).where(TaxRate.country == "CA")):
        rates[row.province][row.tax_class_id].append(Rate(row.component, row.rate))
    regions: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for region in db.session.scalars(sa.select(ZoneRegion).where(ZoneRegion.country == "CA")):
        regions[region.province].append((region.postal_prefix.upper(), region.zone_id))
    bands: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for rate in db.session.scalars(sa.select(ShippingRate).order_by(ShippingRate.max_weight_g)):
        bands[rate.service_id][rate.zone_id].append((rate.max_weight_g, rate.price))
    services = [
        Service(s.id, s.code, f"{carrier.name} {s.name}", s.free_over, carrier.dim_divisor,
                bands[s.id])
        for s, carrier in db.session.execute(
            sa.select(ShippingService, Carrier)
            .join(Carrier, Carrier.id == ShippingService.carrier_id)
            .where(ShippingService.is_active.is_(True))
            .order_by(ShippingService.position, ShippingService.id)
        )
    ]  # fmt: skip
    boxes = [
        BoxSpec(b.id, b.name, b.length_mm, b.width_mm, b.height_mm, b.weight_g, b.max_weight_g)
        for b in db.session.scalars(sa.select(Box).where(Box.is_active.is_(True)))
    ]
    return Reference(rates, regions, services, boxes)


# --- people ------------------------------------------------------------------------


@dataclass
class Customer:
    user_id: int | None
    email: str
    name: str
    address: dict


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class People:
    """Registered customers and guests, made as they first order; returning ones come back."""

    def __init__(self, rng, writer, *, customers: int, expected_new: float, password_hash: str):
        self.rng = rng
        self.writer = writer
        self.password_hash = password_hash
        self.to_register = customers
        # New customers who register (the rest check out as guests); some accounts never order.
        self.registered_share = min(0.9, ACCOUNTS_USED * customers / max(expected_new, 1))
        self.seen: list[Customer] = []  # one entry per order: loyal customers come back more
        self.existing = _existing_customers()
        self.next_user_id = _next_id(User)
        self.serial = itertools.count(1)
        self.provinces = [p for p, *_ in PROVINCES]
        self.province_weights = list(itertools.accumulate(w for _, w, *_ in PROVINCES))
        self.by_province = {p: (cities, area) for p, _, cities, area in PROVINCES}
        self.result_users = 0
        self.result_guests = 0

    def pick(self, moment: datetime) -> Customer:
        rng = self.rng
        if self.seen and rng.random() < RETURNING_SHARE:
            customer = rng.choice(self.seen)
        elif self.existing:
            customer = self.existing.pop(0)
            self.writer.backdate_user(customer.user_id, moment - timedelta(days=rng.randint(1, 60)))
        elif self.to_register and rng.random() < self.registered_share:
            customer = self._register(moment - timedelta(minutes=rng.randint(2, 60 * 24 * 30)))
        else:
            customer = self._new_person(None)
            self.result_guests += 1
        self.seen.append(customer)
        return customer

    def register_the_rest(self, start: datetime, end: datetime) -> None:
        """Accounts that never ordered: signed up for the newsletter, or not yet decided."""
        span = (end - start).total_seconds()
        while self.to_register:
            self._register(start + timedelta(seconds=self.rng.random() * span))

    def _register(self, created: datetime) -> Customer:
        customer = self._new_person(self.next_user_id)
        self.next_user_id += 1
        self.to_register -= 1
        self.result_users += 1
        self.writer.add("users", {
            "id": customer.user_id, "email": customer.email, "name": customer.name,
            "password_hash": self.password_hash, "role": roles.CUSTOMER, "is_enabled": True,
            "session_token": secrets.token_urlsafe(32), "last_login_at": None,
            "created_at": created,
        })  # fmt: skip
        self.writer.add("addresses", {
            "user_id": customer.user_id, **customer.address, "is_default": True,
            "created_at": created,
        })  # fmt: skip
        return customer

    def _new_person(self, user_id: int | None) -> Customer:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}.{next(self.serial)}@example.com"
        name = f"{first} {last}"
        return Customer(user_id, email, name, self._address(name))

    def _address(self, name: str) -> dict:
        rng = self.rng
        index = bisect.bisect_right(self.province_weights, rng.random() * self.province_weights[-1])
        province = self.provinces[min(index, len(self.provinces) - 1)]
        cities, area = self.by_province[province]
        city, prefixes = rng.choice(cities)
        prefix = rng.choice(prefixes.split())
        if len(prefix) == 1:
            prefix += str(rng.randint(1, 9))
        postal = f"{prefix}{rng.choice('ABCEGHJKLMNPRSTVWXYZ')} {rng.randint(1, 9)}" + (
            f"{rng.choice('ABCEGHJKLMNPRSTVWXYZ')}{rng.randint(0, 9)}"
        )
        line2 = f"Apt {rng.randint(1, 2400)}" if rng.random() < 0.25 else None
        return {
            "full_name": name, "company": None,
            "line1": f"{rng.randint(1, 4999)} {rng.choice(STREETS)}", "line2": line2,
            "city": city, "province": province, "postal_code": postal, "country": "CA",
            "phone": f"{area}-555-{rng.randint(0, 9999):04d}",
        }  # fmt: skip


def _existing_customers() -> list[Customer]:
    """Customer accounts already in the store (the demo's own): they get a history too."""
    users = db.session.scalars(
        sa.select(User).where(User.role == roles.CUSTOMER).order_by(User.id)
    ).all()
    found = []
    for user in users:
        address = db.session.scalar(
            sa.select(Address).where(Address.user_id == user.id).order_by(Address.id).limit(1)
        )
        if address is None:
            continue
        fields = ("full_name", "company", "line1", "line2", "city", "province", "postal_code",
                  "country", "phone")  # fmt: skip
        found.append(Customer(user.id, user.email, user.name,
                              {f: getattr(address, f) for f in fields}))  # fmt: skip
    return found


# --- writing in bulk ---------------------------------------------------------------


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


class Writer:
    """Rows buffered per table and inserted in foreign-key order, INSERT_ROWS at a time."""

    TABLES = ("users", "addresses", "orders", "order_lines", "order_taxes", "payments",
              "shipments", "shipment_lines", "parcels", "order_events")  # fmt: skip

    def __init__(self, *, hold_events: bool):
        self.rows: dict[str, list[dict]] = {name: [] for name in self.TABLES}
        self.counts: dict[str, int] = defaultdict(int)
        self.hold_events = hold_events  # the books add invoice events: write events last
        self.held: list[dict] = []
        self.backdated: list[dict] = []

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def backdate_user(self, user_id: int, moment: datetime) -> None:
        self.backdated.append({"uid": user_id, "created": moment})

    def flush(self) -> None:
        for name in self.TABLES:
            rows = self.rows[name]
            if name == "order_events" and self.hold_events:
                self.held.extend(rows)
            else:
                self._insert(name, rows)
            rows.clear()
        if self.backdated:
            users = User.__table__
            db.session.execute(
                sa.update(users).where(users.c.id == sa.bindparam("uid"))
                .values(created_at=sa.bindparam("created")),
                self.backdated,
            )  # fmt: skip
            self.backdated.clear()

    def write_held_events(self, extra: dict[int, list[dict]]) -> None:
        """The held events, each order's in time order (with the books' own added)."""
        by_order: dict[int, list[dict]] = defaultdict(list)
        for row in self.held:
            by_order[row["order_id"]].append(row)
        for order_id, rows in extra.items():
            by_order[order_id].extend(rows)
        ordered = []
        for order_id in sorted(by_order):
            ordered.extend(sorted(by_order[order_id], key=lambda r: r["created_at"]))
        self._insert("order_events", ordered)
        self.held.clear()

    def _insert(self, name: str, rows: list[dict]) -> None:
        table = db.metadata.tables[name]
        for start in range(0, len(rows), INSERT_ROWS):
            db.session.execute(sa.insert(table), rows[start : start + INSERT_ROWS])
        self.counts[name] += len(rows)


def advance_sequences(tables) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


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


class Generator:
    """Makes the orders of one day after another and hands their rows to the writer."""

    def __init__(self, rng, *, products, reference, people, writer, clock, books, events,
                 basket, days):  # fmt: skip
        self.rng = rng
        self.products = products
        self.reference = reference
        self.people = people
        self.writer = writer
        self.clock = clock
        self.books = books
        self.events = events
        self.basket = list(itertools.accumulate(basket))
        self.days = days
        self.prefix = current_app.config["ORDER_NUMBER_PREFIX"]
        self.currency = current_app.config["BASE_CURRENCY"]
        self.payment_minutes = current_app.config["ORDER_PAYMENT_MINUTES"]
        self.order_id = _next_id(Order)
        self.line_id = _next_id(OrderLine)
        self.shipment_id = _next_id(Shipment)
        self.warehouse_id = db.session.scalar(
            sa.select(User.id).where(User.role == roles.WAREHOUSE).order_by(User.id).limit(1)
        )
        self.short_pool = self._short_pool()
        self.result = HistoryResult()
        self.paid: list[tuple] = []  # (paid at, order id, card, payment reference): the books
        self.shipped: dict[int, list[tuple[int, str, datetime, int]]] = defaultdict(list)
        self.cumulative: list[float] = []
        self.weights_day = -1

    def _short_pool(self) -> list[Item]:
        """Variants out of stock today (or, failing that, any backorderable one)."""
        selling = [p for p in self.products if p.lifecycle in ("steady", "growing", "fading")]
        pool = [i for p in selling for i in p.items if i.backorderable and i.on_hand == 0]
        return pool or [i for p in selling for i in p.items if i.backorderable]

    # -- choosing what is bought

    def _day_weights(self, day: int, on: date) -> None:
        if self.weights_day != day:
            doy = on.timetuple().tm_yday
            weights = [p.weight(day, self.days, doy) for p in self.products]
            self.cumulative = list(itertools.accumulate(weights))
            self.weights_day = day

    def _pick_product(self) -> ProductPlan:
        x = self.rng.random() * self.cumulative[-1]
        index = bisect.bisect_right(self.cumulative, x)
        return self.products[min(index, len(self.products) - 1)]

    def _quantity(self, item: Item) -> int:
        r = self.rng.random()
        if item.price < 3000:
            return 1 if r < 0.6 else 2 if r < 0.85 else 3 if r < 0.95 else 4
        return 1 if r < 0.86 else 2 if r < 0.98 else 3

    def _basket(self) -> list[Line]:
        size = bisect.bisect_right(self.basket, self.rng.random() * self.basket[-1]) + 1
        lines: list[Line] = []
        taken: set[int] = set()
        for _ in range(min(size, 4) * 3):
            if len(lines) == size:
                break
            product = self._pick_product()
            item = product.pick(self.rng)
            if item.id not in taken:
                taken.add(item.id)
                lines.append(Line(item, self._quantity(item)))
        return lines

    # -- one day

    def day(self, index: int, on: date, count: int, open_wanted: int) -> int:
        """Make `count` orders on this date; returns the open backorders still to place."""
        self._day_weights(index, on)
        if self.cumulative[-1] <= 0:
            return open_wanted
        times = self.clock.order_times(self.rng, on, count)
        for position, placed in enumerate(times):
            roll = self.rng.random()
            if roll < EXPIRED_SHARE:
                self._unpaid(placed, order_status.EXPIRED)
            elif roll < EXPIRED_SHARE + CANCELLED_SHARE:
                self._unpaid(placed, order_status.CANCELLED)
            else:
                # Spread over the day: the last orders of the day take what is left.
                make_open = self.rng.random() < open_wanted / (len(times) - position)
                if self._sold(placed, make_open):
                    open_wanted -= 1
        return open_wanted

    def _unpaid(self, placed: datetime, status: str) -> None:
        customer = self.people.pick(placed)
        lines = self._basket()
        if not lines:
            return
        sale = Sale(lines, [ln.quantity for ln in lines], [0] * len(lines),
                    [None] * len(lines), [None] * len(lines))  # fmt: skip
        sale.departures = [Departure([(i, ln.quantity) for i, ln in enumerate(lines)], None)]
        self._write(sale, customer, placed, status, paid_at=None)

    def _sold(self, placed: datetime, make_open: bool) -> bool:
        """A paid order; True when it is one still waiting for a backorder."""
        customer = self.people.pick(placed)
        lines = self._basket()
        if not lines:
            return False
        if make_open:
            self._force_short_line(lines)
            make_open = any(ln.item.backorderable for ln in lines)
        sale = self._plan_backorders(lines, placed, make_open)
        paid_at = placed + timedelta(
            minutes=self.rng.randint(1, 8), seconds=self.rng.randint(0, 59)
        )
        status = self._status(sale)
        return self._write(sale, customer, placed, status, paid_at=paid_at) and make_open

    def _force_short_line(self, lines: list[Line]) -> None:
        """An open backorder: one line of a variant that is out of stock today."""
        if any(ln.item.backorderable and ln.item.on_hand == 0 for ln in lines):
            return
        taken = {ln.item.id for ln in lines}
        choices = [i for i in self.short_pool if i.id not in taken]
        if choices:
            item = self.rng.choice(choices)
            lines[0] = Line(item, self._quantity(item))

    def _plan_backorders(self, lines: list[Line], placed: datetime, make_open: bool) -> Sale:
        n = len(lines)
        sale = Sale(lines, [ln.quantity for ln in lines], [0] * n, [None] * n, [None] * n)
        placed_day = self.clock.store_date(placed)
        if make_open:
            index = next((i for i, ln in enumerate(lines)
                          if ln.item.backorderable and ln.item.on_hand == 0), None)  # fmt: skip
            if index is None:
                index = next((i for i, ln in enumerate(lines) if ln.item.backorderable), 0)
            self._short(sale, index)
            promised = placed_day + timedelta(days=lines[index].item.lead_days + HANDLING_DAYS)
            if promised <= self.clock.today:  # late: the supplier gave a new date
                promised = self.clock.today + timedelta(days=self.rng.randint(2, 12))
            sale.expected[index] = promised
        else:
            for index, line in enumerate(lines):
                if line.item.backorderable and self.rng.random() < BACKORDER_SHARE:
                    self._historic_backorder(sale, index, placed, placed_day)
        has_later = any(sale.later)
        if has_later and any(sale.shipped_now) and self.rng.random() < SHIP_NOW_SHARE:
            sale.policy = SHIP_AVAILABLE_NOW
        elif has_later and make_open:
            # Waiting for everything would hold allocated stock: only when nothing is in stock.
            sale.policy = (
                SHIP_AVAILABLE_NOW
                if any(sale.shipped_now)
                else self.rng.choice([SHIP_AVAILABLE_NOW, SHIP_COMPLETE])
            )
        sale.departures = self._departures(sale, placed)
        return sale

    def _short(self, sale: Sale, index: int) -> None:
        quantity = sale.lines[index].quantity
        part = self.rng.randint(1, quantity - 1) if quantity > 1 and self.rng.random() < 0.5 else 0
        sale.shipped_now[index] = part
        sale.later[index] = quantity - part

    def _historic_backorder(self, sale: Sale, index: int, placed: datetime, placed_day) -> None:
        """A line short when ordered, shipped when the supplier delivered (early or late)."""
        lead = sale.lines[index].item.lead_days
        promised = placed_day + timedelta(days=lead + HANDLING_DAYS)
        delay = max(2, lead + HANDLING_DAYS + self.rng.randint(-(lead // 2), 6))
        when = self.clock.ship_time(self.rng, placed, delay)
        if when >= self.clock.now - timedelta(hours=1):
            return  # it would still be waiting: the open ones are planned on their own
        self._short(sale, index)
        sale.later_at[index] = when
        sale.expected[index] = promised

    def _departures(self, sale: Sale, placed: datetime) -> list[Departure]:
        first_at = self._first_ship_time(placed)
        now_units = [(i, q) for i, q in enumerate(sale.shipped_now) if q]
        later_units = [(i, q) for i, q in enumerate(sale.later) if q]
        if not later_units:
            return [Departure(now_units, first_at)]
        if sale.policy == SHIP_COMPLETE:
            waits = [sale.later_at[i] for i, _ in later_units]
            last = None if None in waits else max(waits)
            everything = [(i, ln.quantity) for i, ln in enumerate(sale.lines)]
            return [Departure(everything, last)]
        departures = [Departure(now_units, first_at)] if now_units else []
        by_time: dict[datetime | None, list] = defaultdict(list)
        for i, q in later_units:
            by_time[sale.later_at[i]].append((i, q))
        known = sorted(t for t in by_time if t is not None)
        for moment in known + ([None] if None in by_time else []):
            departures.append(Departure(by_time[moment], moment))
        return departures

    def _first_ship_time(self, placed: datetime) -> datetime:
        moment = self.clock.ship_time(self.rng, placed + timedelta(minutes=10),
                                      self.rng.choice((0, 0, 0, 1, 1, 2)))  # fmt: skip
        if moment >= self.clock.now - timedelta(minutes=30):  # the last orders left at once
            soon = placed + timedelta(minutes=self.rng.randint(45, 240))
            moment = min(soon, placed + (self.clock.now - placed) * 0.8)
        return moment

    @staticmethod
    def _status(sale: Sale) -> str:
        shipped = [d.shipped_at is not None for d in sale.departures]
        if all(shipped):
            return order_status.SHIPPED
        return order_status.PARTIALLY_SHIPPED if any(shipped) else order_status.PAID

    # -- prices

    def _quote(self, sale: Sale, zone: int, subtotal: int):
        """(service, price, cost, parcels per departure) of the service the customer chose."""
        packed = [
            self.reference.pack([(sale.lines[i].item, q) for i, q in d.units])
            for d in sale.departures
        ]
        choices = self._service_choices(subtotal)
        for service in choices:
            bands = service.bands.get(zone)
            if not bands:
                continue
            prices = [
                band_price(bands, p.billable_weight_g(service.dim_divisor))
                for parcels in packed for p in parcels
            ]  # fmt: skip
            if all(price is not None for price in prices):
                cost = sum(prices)
                free = service.free_over is not None and subtotal >= service.free_over
                return service, 0 if free else cost, cost, packed
        return None

    def _service_choices(self, subtotal: int) -> list[Service]:
        services = self.reference.services
        free = [s for s in services if s.free_over is not None and subtotal >= s.free_over]
        if free and self.rng.random() < 0.85:
            return free + [s for s in services if s not in free]
        weights = [SERVICE_SHARES.get(s.code, 0.02) for s in services]
        first = self.rng.choices(services, weights=weights)[0]
        return [first] + [s for s in services if s is not first]

    # -- rows

    def _write(self, sale: Sale, customer: Customer, placed: datetime, status: str, *, paid_at):
        """The order's rows; False when no service ships there (nothing written)."""
        address = customer.address
        zone = self.reference.zone(address["province"], address["postal_code"])
        subtotal = sum(ln.item.price * ln.quantity for ln in sale.lines)
        quote = self._quote(sale, zone, subtotal) if zone is not None else None
        if quote is None:
            return False  # nowhere to ship it: the customer never got past the delivery step
        service, shipping, cost, packed = quote
        goods: dict[int, int] = defaultdict(int)
        for ln in sale.lines:
            goods[ln.item.tax_class_id] += ln.item.price * ln.quantity
        taxes = compute_taxes(
            goods_by_class=dict(goods), shipping=shipping,
            rates=self.reference.rates.get(address["province"], {}),
        )  # fmt: skip
        tax_total = sum(t.amount for t in taxes)
        order_id = self.order_id
        self.order_id += 1
        shipments, units, parcels = (
            self._shipments(sale, order_id, service, packed) if paid_at else ([], [], [])
        )
        last = max([s["shipped_at"] for s in shipments], default=paid_at or placed)
        self.writer.add("orders", {
            "id": order_id, "number": f"{self.prefix}{order_id + 10000}",
            "user_id": customer.user_id, "email": customer.email, "status": status,
            "currency": self.currency, "shipping_policy": sale.policy,
            "access_token": secrets.token_urlsafe(24),
            **{f"ship_{k}": v for k, v in address.items()},
            "shipping_service_id": service.id, "shipping_service_name": service.full_name,
            "shipment_count": len(sale.departures), "subtotal": subtotal,
            "units": sum(ln.quantity for ln in sale.lines),
            "goods_cost": sum(ln.item.cost * ln.quantity for ln in sale.lines),
            "shipping_total": shipping, "tax_total": tax_total,
            "total": subtotal + shipping + tax_total, "payment_provider": PROVIDER,
            "channel": "web", "shipping_cost": cost, "commission_agent_id": None,
            "commission_rate": None,
            "expires_at": placed + timedelta(minutes=self.payment_minutes),
            "paid_at": paid_at, "created_at": placed,
            "updated_at": last if paid_at else placed + timedelta(minutes=self.payment_minutes),
        })  # fmt: skip
        line_ids = self._lines(sale, order_id, status)
        for tax in taxes:
            self.writer.add("order_taxes", {
                "order_id": order_id, "component": tax.component, "rate": tax.rate,
                "taxable": tax.taxable, "amount": tax.amount,
            })  # fmt: skip
        for shipment, shipped_units, boxes in zip(shipments, units, parcels, strict=True):
            self._shipment_rows(shipment, shipped_units, boxes, sale, line_ids)
        total = subtotal + shipping + tax_total
        self._count(sale, status, paid_at, shipments)
        if paid_at is not None:
            card, reference = self._payment(order_id, total, paid_at)
            if self.books:
                self.paid.append((paid_at, order_id, card, reference))
                for s in shipments:
                    self.shipped[order_id].append(
                        (s["id"], s["number"], s["shipped_at"], s["cost_of_goods"])
                    )
            if self.events:
                self._sold_events(sale, order_id, placed, paid_at, total, card, shipments, units)
        elif self.events:
            self._unpaid_events(sale, order_id, placed, status)
        return True

    def _lines(self, sale: Sale, order_id: int, status: str) -> list[int]:
        ids = []
        sold = status not in order_status.RELEASED
        for index, ln in enumerate(sale.lines):
            item = ln.item
            shipped = self._units_shipped(sale, index) if sold else 0
            backordered = (ln.quantity - shipped) if sold else 0
            self.writer.add("order_lines", {
                "id": self.line_id, "order_id": order_id, "variant_id": item.id,
                "sku": item.sku, "name": item.name, "unit_price": item.price,
                "quantity": ln.quantity, "line_total": item.price * ln.quantity,
                "unit_cost": item.cost, "tax_class_id": item.tax_class_id,
                "tax_class_name": item.tax_class_name, "quantity_allocated": 0,
                "quantity_backordered": backordered, "quantity_shipped": shipped,
                "expected_ship_date": sale.expected[index] if sold else None,
            })  # fmt: skip
            ids.append(self.line_id)
            self.line_id += 1
        return ids

    @staticmethod
    def _units_shipped(sale: Sale, index: int) -> int:
        return sum(q for d in sale.departures if d.shipped_at for i, q in d.units if i == index)

    def _shipments(self, sale: Sale, order_id: int, service: Service, packed):
        """Rows of the departures that left, with their (line, units) and their parcels."""
        rows, units, boxes = [], [], []
        for departure, parcels in zip(sale.departures, packed, strict=True):
            if departure.shipped_at is None or not departure.units:
                continue
            sid = self.shipment_id
            self.shipment_id += 1
            body = f"70{sid:09d}{self.rng.randrange(10_000):04d}"
            cost = sum(sale.lines[i].item.cost * q for i, q in departure.units)
            started = departure.shipped_at - timedelta(minutes=self.rng.randint(20, 180))
            rows.append({
                "id": sid, "number": f"{SHIPMENT_PREFIX}{sid:06d}", "order_id": order_id,
                "status": "shipped", "shipping_service_id": service.id,
                "service_name": service.full_name,
                "tracking_number": body + str(luhn_check_digit(body)),
                "shipped_at": departure.shipped_at, "cost_of_goods": cost,
                "user_id": self.warehouse_id, "created_at": started,
            })  # fmt: skip
            units.append(departure.units)
            boxes.append(parcels)
        return rows, units, boxes

    def _shipment_rows(self, shipment: dict, units, parcels, sale: Sale, line_ids) -> None:
        self.writer.add("shipments", shipment)
        for i, q in units:
            self.writer.add("shipment_lines", {
                "shipment_id": shipment["id"], "order_line_id": line_ids[i], "quantity": q,
                "unit_cost": sale.lines[i].item.cost, "cost": sale.lines[i].item.cost * q,
            })  # fmt: skip
        for parcel in parcels:
            length, width, height = parcel.dims_mm
            self.writer.add("parcels", {
                "shipment_id": shipment["id"], "box_id": parcel.box.id if parcel.box else None,
                "box_name": parcel.box.name if parcel.box else OWN_PACKAGING,
                "length_mm": length, "width_mm": width, "height_mm": height,
                "weight_g": parcel.weight_g,
            })  # fmt: skip

    def _payment(self, order_id: int, total: int, paid_at: datetime) -> tuple[str, str]:
        """The demo charge that paid the order: (card, reference)."""
        card = self.rng.choices([c for c, _ in CARDS], weights=[w for _, w in CARDS])[0]
        reference = f"demo_{self.rng.getrandbits(96):024x}"
        self.writer.add("payments", {
            "order_id": order_id, "provider": PROVIDER,
            "reference": reference, "amount": total,
            "currency": self.currency, "status": "succeeded", "method": card,
            "checkout_url": None, "created_at": paid_at - timedelta(minutes=1),
        })  # fmt: skip
        return card, reference

    def _event(self, order_id: int, kind: str, at: datetime, user_id=None, **params):
        """An order event row: its kind and parameters as shop.orders.events keeps them."""
        self.writer.add("order_events", {
            "order_id": order_id, "kind": kind, "params": params, "user_id": user_id,
            "created_at": at,
        })  # fmt: skip

    def _sold_events(self, sale, order_id, placed, paid_at, total, card, shipments, units):
        self._event(order_id, "placed", placed, policy=sale.policy, backordered=sum(sale.later))
        self._event(order_id, "paid", paid_at, provider=PROVIDER, method=card, amount=total,
                    currency=self.currency)  # fmt: skip
        for s, shipped in zip(shipments, units, strict=True):
            count = sum(q for _, q in shipped)
            self._event(
                order_id, "shipped", s["shipped_at"], self.warehouse_id,
                shipment=s["number"], units=count, tracking=s["tracking_number"],
            )  # fmt: skip

    def _unpaid_events(self, sale, order_id, placed, status) -> None:
        self._event(order_id, "placed", placed, policy=sale.policy, backordered=0)
        if status == order_status.EXPIRED:
            expired = placed + timedelta(minutes=self.payment_minutes + self.rng.randint(1, 9))
            self._event(order_id, "expired", expired)
            self._event(order_id, "released", expired, why="expired")
        else:
            cancelled = placed + timedelta(minutes=self.rng.randint(5, 50))
            self._event(order_id, "cancelled", cancelled, reason="the customer changed their mind")
            self._event(order_id, "released", cancelled, why="cancelled")

    def _count(self, sale: Sale, status: str, paid_at, shipments) -> None:
        r = self.result
        r.orders += 1
        r.lines += len(sale.lines)
        r.shipments += len(shipments)
        if paid_at is not None:
            r.sold += 1
            if status != order_status.SHIPPED:
                r.open_backorders += 1


# --- the whole history -----------------------------------------------------------------


def generate_history(
    *, days: int = 365, orders_per_day: float = DEMO_ORDERS_PER_DAY,
    customers: int = DEMO_CUSTOMERS, seed: int = DEFAULT_SEED, today: date | None = None,
    books: bool = True, events: bool = True, basket: tuple[float, ...] = BASKET,
    progress=None,
) -> HistoryResult:  # fmt: skip
    """Write `days` days of sales ending yesterday (before `today`, the store's date) into a
    store that has a catalogue and reference data but no orders yet. The caller commits.

    `customers` registered customer accounts are made (some never order); guests come on
    top. `progress`, if given, is called with a line of text now and then.
    """
    started = time.perf_counter()
    if db.session.scalar(sa.select(Order.id).limit(1)) is not None:
        raise HistoryError("The store already has orders; history goes only into a new store.")
    rng = random.Random(seed)
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    now = utcnow() if today is None else datetime(today.year, today.month, today.day, 10,
                                                  tzinfo=tz).astimezone(UTC)  # fmt: skip
    clock = Clock(tz, now)
    first = clock.today - timedelta(days=days)
    products = load_catalogue(rng, days)
    if not products:
        raise HistoryError("The store has nothing to sell; seed the catalogue first.")
    reference = load_reference()
    means = daily_means(first, days, orders_per_day)
    writer = Writer(hold_events=books and events)
    people = People(
        rng, writer, customers=customers, password_hash=_customer_password_hash(),
        expected_new=sum(means) * (1 - RETURNING_SHARE),
    )  # fmt: skip
    generator = Generator(
        rng, products=products, reference=reference, people=people, writer=writer,
        clock=clock, books=books, events=events, basket=basket, days=days,
    )  # fmt: skip
    _generate_days(generator, means, first, open_backorder_plan(rng, means), progress)
    start = clock.local(first, 0, 0).astimezone(UTC)
    people.register_the_rest(start, now - timedelta(hours=1))
    writer.flush()
    advance_sequences(("users", "orders", "order_lines", "shipments"))
    result = generator.result
    result.customers, result.guests = people.result_users, people.result_guests
    if books:
        invoice_events = post_history_books(generator, clock, progress)
        _date_opening_stock(first, start)
        result.invoices = len(generator.paid)
        if events:
            writer.write_held_events(invoice_events)
    db.session.flush()
    result.seconds = time.perf_counter() - started
    return result


def _generate_days(generator: Generator, means, first: date, plan, progress) -> None:
    open_wanted, since_flush = 0, 0
    for index, mean in enumerate(means):
        on = first + timedelta(days=index)
        open_wanted += plan.get(index, 0)
        count = poisson(generator.rng, mean)
        open_wanted = generator.day(index, on, count, open_wanted)
        since_flush += count
        if since_flush >= CHUNK_ORDERS:
            generator.writer.flush()
            since_flush = 0
            if progress:
                progress(f"  {on}: {generator.result.orders} orders written")


def _customer_password_hash() -> str:
    """One hash for every history customer (the demo customer's password): hashing each
    would take minutes. The history's customers can log in like the demo's own."""
    from shop.demo import CUSTOMER_PASSWORD

    return hash_password(CUSTOMER_PASSWORD)


# --- the books -----------------------------------------------------------------------


@contextmanager
def invoice_clock(moment: datetime):
    """The invoice module reads the time once, for the invoice's date and its year's series;
    for history that time is when the order was paid."""
    real = billing.utcnow
    billing.utcnow = lambda: moment
    try:
        yield
    finally:
        billing.utcnow = real


def post_history_books(generator: Generator, clock: Clock, progress=None) -> dict[int, list]:
    """Invoice and post every sold order through the real services, in the order paid.

    Returns the "invoice issued" events to add to each order's history.
    """
    paid = sorted(generator.paid)  # invoice numbers follow the time of payment
    ids = [order_id for _, order_id, _, _ in paid]
    payments = {order_id: (card, reference) for _, order_id, card, reference in paid}
    settings = store_settings()
    fee_percent, fee_fixed = settings.demo_fee_percent, settings.demo_fee_fixed
    months = MonthTotals(clock)
    events: dict[int, list] = defaultdict(list)
    for start in range(0, len(ids), 200):
        batch = db.session.scalars(
            sa.select(Order)
            .where(Order.id.in_(ids[start : start + 200]))
            .options(selectinload(Order.lines), selectinload(Order.taxes))
            .order_by(Order.paid_at, Order.id)
        ).all()
        for order in batch:
            invoice = _book_order(order, *payments[order.id], fee_percent, fee_fixed, months)
            for shipment in generator.shipped.get(order.id, []):
                _book_shipment(order, shipment, months)
            events[order.id].append({
                "order_id": order.id, "kind": "invoice", "user_id": None,
                "params": {"number": invoice.number},
                "created_at": order.paid_at,
            })  # fmt: skip
        db.session.flush()
        db.session.expunge_all()
        if progress and start and start % 2000 == 0:
            progress(f"  books: {start} orders invoiced and posted")
    _post_month_summaries(months, clock)
    payouts.pay_out_demo(through=clock.today - timedelta(days=1))
    _date_entries(months.posted)
    return events


@dataclass
class MonthTotals:
    """What the month summaries need, and when each entry was really posted."""

    clock: Clock
    cogs: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    posted: list[tuple[int, datetime]] = field(default_factory=list)  # (entry id, moment)

    def month(self, moment: datetime) -> str:
        return self.clock.store_date(moment).strftime("%Y-%m")


def _date_opening_stock(first: date, start: datetime) -> None:
    """The seeded stock was there before the first sale: its opening entries (inventory /
    opening balance equity, shop.inventory.valuation) are dated the history's first day."""
    table = JournalEntry.__table__
    db.session.execute(
        sa.update(table).where(table.c.source_type == OPENING_STOCK, table.c.date > first)
        .values(date=first, created_at=start)
    )  # fmt: skip


def _date_entries(posted: list[tuple[int, datetime]]) -> None:
    """Entries were posted when their event happened: one UPDATE for all (not one each)."""
    table = JournalEntry.__table__
    rows = [{"entry": entry_id, "moment": moment} for entry_id, moment in posted]
    for start in range(0, len(rows), INSERT_ROWS):
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("entry"))
            .values(created_at=sa.bindparam("moment")),
            rows[start : start + INSERT_ROWS],
        )  # fmt: skip


def _book_order(order: Order, card: str, reference: str, fee_percent, fee_fixed, months):
    with invoice_clock(order.paid_at):
        invoice = billing.issue_invoice(order=order, payment_method=card)
    sale = books_services.post_sale(order=order, invoice=invoice)
    months.posted.append((sale.id, order.paid_at))
    fee = books_services.demo_fee(order.total, fee_percent, fee_fixed)
    on = clock.store_date(order.paid_at)
    posted = books_services.post_processor_fee(
        order=order, fee=fee, source_key=f"fee:{PROVIDER}:{reference}", on=on,
        provider=PROVIDER_LABEL,
    )  # fmt: skip
    if posted is not None:
        months.posted.append((posted.id, order.paid_at))
    return invoice


def _book_shipment(order: Order, shipment: tuple, months: "MonthTotals") -> None:
    shipment_id, number, shipped_at, cost = shipment
    if cost:
        entry = books_services.post_cost_of_goods(
            source_key=f"cogs:shipment:{shipment_id}", on=clock.store_date(shipped_at),
            cost=cost, order_id=order.id,
            description=f"Cost of goods, shipment {number}, order {order.number}",
        )  # fmt: skip
        months.posted.append((entry.id, shipped_at))
    months.cogs[months.month(shipped_at)] += cost


def _post_month_summaries(months: MonthTotals, clock: Clock) -> None:
    """Per month: stock bought to replace what shipped."""
    for month in sorted(months.cogs):
        on = _month_end(month, clock.today - timedelta(days=1))
        if months.cogs.get(month):
            books_services.post_entry(
                source_type="history", source_key=f"history:{month}:restock", on=on,
                description=f"Stock bought in {month} to replace the goods shipped (summary)",
                lines=[books_services.Line(chart.INVENTORY, debit=months.cogs[month]),
                       books_services.Line(chart.BANK, credit=months.cogs[month])],
            )  # fmt: skip


def _month_end(month: str, latest: date) -> date:
    year, number = (int(x) for x in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return min(following - timedelta(days=1), latest)
