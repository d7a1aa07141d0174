"""A small, fixed store for the owner's reports: orders written directly as rows, so that
every figure of the reports can be worked out by hand.

Times are placed relative to the store's real local today (the presets of the report
pages end today): `at(days_ago, hour, minute)` is a moment of a local day.

The store (today = T, the default period "last 30 days" = T-29 .. T, the previous one
T-59 .. T-30):

categories  Outdoor, Outdoor › Tents, Kitchen
variants    TENT-2P (Tents)   price 300.00 cost 180.00
            STOOL-1 (Outdoor) price  40.00 cost  15.00
            MUG-1   (Kitchen) price  15.00 cost   5.00

order    who                  status             paid            lines
R-1001   alice@example.com    shipped            T-10  noon      TENT x1, MUG x2   (one shipment)
R-1002   ALICE@Example.com    partially_shipped  T-3   noon      STOOL x3: 1 shipped, 2 backordered
R-1003   bob@example.com      paid               T-20  noon      TENT x2 backordered, MUG x1 held
R-1004   carol@example.com    shipped            T-15  noon      STOOL x2, MUG x4 (a cancelled
                                                                 shipment, then two shipments)
R-1005   dave@example.com     shipped (counter)  T-1   noon      MUG x1 (no shipment)
R-1006   eve@example.com      cancelled          T-5   noon      TENT x1 (1 backordered): no sale
R-1007   frank@example.com    pending_payment    (placed T-2)    TENT x1 (1 backordered): no sale
R-1008   alice@example.com    shipped            T-30 23:30      MUG x2: the previous period
                                                 (local time; in UTC it is already T-29)
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shop.catalogue.models import Category, Variant
from shop.extensions import db
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.orders import status as order_status
from shop.orders.models import SHIP_AVAILABLE_NOW, Order, OrderLine, OrderTax
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

STORE_ZONE = ZoneInfo("America/Toronto")

REGULAR = "Regular Parcel"
EXPEDITED = "Expedited Parcel"
COUNTER = "Counter pick-up"


def local_today() -> date:
    return datetime.now(STORE_ZONE).date()


def at(days_ago: int, hour: int = 12, minute: int = 0, today: date | None = None) -> datetime:
    """A moment of a local day `days_ago` days before today, as an aware UTC datetime."""
    day = (today or local_today()) - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), STORE_ZONE).astimezone(UTC)


@dataclass
class Line:
    variant: Variant
    quantity: int
    allocated: int = 0
    backordered: int = 0
    shipped: int = 0


@dataclass
class Departure:
    """A shipment: its status, when it left (None: it did not) and (line index, units)."""

    status: str
    shipped_at: datetime | None
    lines: list[tuple[int, int]]


@dataclass
class Sale:
    number: str
    email: str
    name: str
    status: str
    placed: datetime
    paid: datetime | None
    lines: list[Line]
    province: str = "ON"
    channel: str = "web"
    service: str = REGULAR
    shipping_total: int = 0
    shipping_cost: int = 0
    taxes: list[tuple[str, str, int, int]] = field(default_factory=list)  # comp, rate, base, tax
    departures: list[Departure] = field(default_factory=list)


def insert_order(sale: Sale) -> Order:
    """Write one order with its lines, taxes and shipments as rows, as the services would
    have left them."""
    subtotal = sum(line.variant.price * line.quantity for line in sale.lines)
    tax_total = sum(amount for *_, amount in sale.taxes)
    order = Order(
        number=sale.number,
        email=sale.email,
        status=sale.status,
        currency="CAD",
        shipping_policy=SHIP_AVAILABLE_NOW,
        access_token=secrets.token_hex(16),
        ship_full_name=sale.name,
        ship_line1="1 Main St",
        ship_city="Somewhere",
        ship_province=sale.province,
        ship_postal_code="A1A 1A1",
        ship_country="CA",
        shipping_service_name=sale.service,
        subtotal=subtotal,
        units=sum(line.quantity for line in sale.lines),
        goods_cost=sum(line.variant.cost * line.quantity for line in sale.lines),
        shipping_total=sale.shipping_total,
        tax_total=tax_total,
        total=subtotal + sale.shipping_total + tax_total,
        payment_provider="demo",
        channel=sale.channel,
        shipping_cost=sale.shipping_cost,
        expires_at=sale.placed + timedelta(hours=1),
        paid_at=sale.paid,
        created_at=sale.placed,
        updated_at=sale.paid or sale.placed,
    )
    db.session.add(order)
    db.session.flush()
    lines = []
    for line in sale.lines:
        variant = line.variant
        row = OrderLine(
            order_id=order.id,
            variant_id=variant.id,
            sku=variant.sku,
            name=variant.product.name,
            unit_price=variant.price,
            quantity=line.quantity,
            line_total=variant.price * line.quantity,
            unit_cost=variant.cost,
            tax_class_id=variant.tax_class_id,
            tax_class_name=variant.tax_class.name,
            quantity_allocated=line.allocated,
            quantity_backordered=line.backordered,
            quantity_shipped=line.shipped,
        )
        db.session.add(row)
        lines.append(row)
    for component, rate, taxable, amount in sale.taxes:
        db.session.add(
            OrderTax(
                order_id=order.id,
                component=component,
                rate=Decimal(rate),
                taxable=taxable,
                amount=amount,
            )
        )
    db.session.flush()
    for index, departure in enumerate(sale.departures):
        shipment = Shipment(
            number=f"S-{sale.number}-{index + 1}",
            order_id=order.id,
            status=departure.status,
            service_name=sale.service,
            shipped_at=departure.shipped_at,
            created_at=departure.shipped_at or sale.placed,
        )
        db.session.add(shipment)
        db.session.flush()  # shipment ids in the order they were made
        for line_index, units in departure.lines:
            db.session.add(
                ShipmentLine(
                    shipment_id=shipment.id,
                    order_line_id=lines[line_index].id,
                    quantity=units,
                    unit_cost=lines[line_index].unit_cost,
                )
            )
    db.session.flush()
    return order


@dataclass
class FixedStore:
    today: date
    outdoor: Category
    tents: Category
    kitchen: Category
    tent: Variant
    stool: Variant
    mug: Variant
    orders: dict[str, Order]


def build_fixed_store(tax_class) -> FixedStore:
    """The store described in this module's docstring, committed."""
    today = local_today()
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    tents = CategoryFactory(name="Tents", slug="tents", parent=outdoor)
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    tent = VariantFactory(
        product=ProductFactory(name="Ridgeline Tent", category=tents),
        sku="TENT-2P", price=30000, cost=18000, tax_class=tax_class, stock=5,
    )  # fmt: skip
    stool = VariantFactory(
        product=ProductFactory(name="Camp Stool", category=outdoor),
        sku="STOOL-1", price=4000, cost=1500, tax_class=tax_class, stock=5,
    )  # fmt: skip
    mug = VariantFactory(
        product=ProductFactory(name="Enamel Mug", category=kitchen),
        sku="MUG-1", price=1500, cost=500, tax_class=tax_class, stock=20,
    )  # fmt: skip

    def when(days_ago, hour=12, minute=0):
        return at(days_ago, hour, minute, today)

    sales = [
        Sale(
            "R-1001", "alice@example.com", "Alice Archer", order_status.SHIPPED,
            when(10), when(10, 12, 5), [Line(tent, 1, shipped=1), Line(mug, 2, shipped=2)],
            shipping_total=0, shipping_cost=1800,
            taxes=[("HST", "0.13", 33000, 4290)],
            departures=[Departure("shipped", when(8), [(0, 1), (1, 2)])],
        ),
        Sale(
            "R-1002", "ALICE@Example.com", "Alice Archer", order_status.PARTIALLY_SHIPPED,
            when(3), when(3, 12, 5), [Line(stool, 3, shipped=1, backordered=2)],
            service=EXPEDITED, shipping_total=1500, shipping_cost=1400,
            taxes=[("HST", "0.13", 13500, 1755)],
            departures=[Departure("shipped", when(2), [(0, 1)])],
        ),
        Sale(
            "R-1003", "bob@example.com", "Bob Boucher", order_status.PAID,
            when(20), when(20, 12, 5), [Line(tent, 2, backordered=2), Line(mug, 1, allocated=1)],
            province="QC", service=EXPEDITED, shipping_total=2000, shipping_cost=1700,
            taxes=[("GST", "0.05", 63500, 3175), ("QST", "0.09975", 63500, 6334)],
        ),
        Sale(
            "R-1004", "carol@example.com", "Carol Chan", order_status.SHIPPED,
            when(15), when(15, 12, 5), [Line(stool, 2, shipped=2), Line(mug, 4, shipped=4)],
            province="BC", shipping_total=1200, shipping_cost=1300,
            taxes=[("GST", "0.05", 15200, 760), ("PST", "0.07", 14000, 980)],
            departures=[
                Departure("cancelled", None, [(0, 2), (1, 4)]),
                Departure("shipped", when(13), [(0, 2), (1, 1)]),
                Departure("shipped", when(9), [(1, 3)]),
            ],
        ),
        Sale(
            "R-1005", "dave@example.com", "Dave Dubois", order_status.SHIPPED,
            when(1), when(1, 12, 1), [Line(mug, 1, shipped=1)],
            channel="counter", service=COUNTER,
            taxes=[("HST", "0.13", 1500, 195)],
        ),
        Sale(
            "R-1006", "eve@example.com", "Eve Evans", order_status.CANCELLED,
            when(5), when(5, 12, 5), [Line(tent, 1, backordered=1)],
            taxes=[("HST", "0.13", 30000, 3900)], shipping_cost=2500,
        ),
        Sale(
            "R-1007", "frank@example.com", "Frank Fox", order_status.PENDING_PAYMENT,
            when(2), None, [Line(tent, 1, backordered=1)],
            taxes=[("HST", "0.13", 30000, 3900)],
        ),
        Sale(
            "R-1008", "alice@example.com", "Alice Archer", order_status.SHIPPED,
            when(30, 23, 0), when(30, 23, 30), [Line(mug, 2, shipped=2)],
            taxes=[("HST", "0.13", 3000, 390)],
            departures=[Departure("shipped", when(28), [(0, 2)])],
        ),
    ]  # fmt: skip
    orders = {sale.number: insert_order(sale) for sale in sales}
    db.session.commit()
    return FixedStore(today, outdoor, tents, kitchen, tent, stool, mug, orders)
