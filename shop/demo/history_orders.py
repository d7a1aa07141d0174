"""One order of the history after another: what is bought, by whom, how it is paid,
priced and shipped.
"""

import bisect
import itertools
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop.accounts import roles
from shop.accounts.models import User
from shop.demo.history_people import Customer
from shop.demo.history_plan import (
    BACKORDER_SHARE,
    CANCELLED_SHARE,
    CARDS,
    EXPIRED_SHARE,
    HANDLING_DAYS,
    PROVIDER,
    SERVICE_SHARES,
    SHIP_NOW_SHARE,
    Departure,
    HistoryResult,
    Item,
    Line,
    ProductPlan,
    Sale,
    next_id,
)  # fmt: skip
from shop.demo.history_reference import Service
from shop.extensions import db
from shop.fulfilment.models import Shipment
from shop.fulfilment.services import NUMBER_PREFIX as SHIPMENT_PREFIX
from shop.fulfilment.services import OWN_PACKAGING, luhn_check_digit
from shop.orders import status as order_status
from shop.orders.models import SHIP_AVAILABLE_NOW, SHIP_COMPLETE, Order, OrderLine
from shop.shipping.rates import band_price
from shop.tax.calculations import compute_taxes


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
        self.order_id = next_id(Order)
        self.line_id = next_id(OrderLine)
        self.shipment_id = next_id(Shipment)
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
