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
from sqlalchemy.orm import selectinload

from shop.accounts import roles
from shop.accounts.models import User
from shop.cart.services import CartLineView, CartSummary
from shop.catalogue.models import Variant
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
from shop.demo.rows import row_of
from shop.extensions import db
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.fulfilment.services import make_tracking_number, proposed_parcel, shipment_number
from shop.fulfilment.status import SHIPPED
from shop.orders import events, pricing
from shop.orders import status as order_status
from shop.orders.models import SHIP_AVAILABLE_NOW, SHIP_COMPLETE, Order, OrderLine, Payment
from shop.orders.services import CheckoutRequest, frozen_line, new_order, order_number
from shop.promise.availability import BACKORDER, IN_STOCK, PARTIAL, Availability
from shop.shipping import packing
from shop.shipping.rates import box_specs, variant_unit

CHANGED_MIND = "the customer changed their mind"


class Generator:
    """Makes the orders of one day after another and hands their rows to the writer."""

    def __init__(self, rng, *, products, people, writer, clock, books, events, basket, days):
        self.rng = rng
        self.products = products
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
        self.warehouse = db.session.scalar(
            sa.select(User).where(User.role == roles.WAREHOUSE).order_by(User.id).limit(1)
        )
        self.variants = _variants({i.id for p in products for i in p.items})
        self.boxes = box_specs()
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

    # -- prices: the checkout's own (shop.orders.pricing)

    def _summary(self, sale: Sale) -> CartSummary:
        """The cart as the customer reviewed it: each line's availability as planned."""
        views = []
        for index, ln in enumerate(sale.lines):
            now, later = sale.shipped_now[index], sale.later[index]
            status = IN_STOCK if not later else PARTIAL if now else BACKORDER
            availability = Availability(
                requested=ln.quantity, available_now=now, backordered=later,
                ship_date=sale.expected[index] if later else None, ship_in_days=None,
                status=status, on_hand_free=now,
            )  # fmt: skip
            variant = self.variants[ln.item.id]
            views.append(CartLineView(None, variant, ln.quantity, variant.price,
                                      variant.price * ln.quantity, availability))  # fmt: skip
        subtotal = sum(v.total for v in views)
        return CartSummary(views, subtotal, sum(v.quantity for v in views), self.currency)

    def _choose(self, quotes: list, subtotal: int):
        """The service the customer picked of those the checkout offered: mostly a free one
        when there is one, otherwise by the usual shares."""
        if not quotes:
            return None
        free = [q for q in quotes if q.free]
        if free and self.rng.random() < 0.85:
            return free[0]
        weights = [SERVICE_SHARES.get(q.service.code, 0.02) for q in quotes]
        return self.rng.choices(quotes, weights=weights)[0]

    # -- rows: the order as shop.orders.services freezes it

    def _write(self, sale: Sale, customer: Customer, placed: datetime, status: str, *, paid_at):
        """The order's rows; False when no service ships there (nothing written)."""
        address = customer.address
        summary = self._summary(sale)
        destination = pricing.Destination(
            address["country"], address["province"], address["postal_code"]
        )
        quote = self._choose(pricing.quotes_for(summary, destination, sale.policy),
                             summary.subtotal)  # fmt: skip
        if quote is None:
            return False  # nowhere to ship it: the customer never got past the delivery step
        priced = pricing.price(summary, destination, quote, sale.policy)
        request = CheckoutRequest(customer.email, address, quote.service.id, sale.policy)
        order = new_order(
            user_id=customer.user_id, request=request, priced=priced, provider=PROVIDER,
            lines=[frozen_line(v, v.availability.available_now) for v in summary.lines],
            cart_token=secrets.token_urlsafe(32), now=placed,  # each came from its own cart
        )  # fmt: skip
        order.id = self.order_id
        self.order_id += 1
        order.number = order_number(order.id)
        events.order_placed(order)
        self._set_lines(sale, order, status)
        shipments = self._shipments(sale, order) if paid_at else []
        order.status = status
        order.paid_at = paid_at
        last = max([s.shipped_at for s in shipments], default=paid_at)
        order.updated_at = last if paid_at else order.expires_at
        self._count(sale, status, paid_at, shipments)
        if paid_at is not None:
            card, reference = self._payment(order, paid_at)
            if self.books:
                self.paid.append((paid_at, order.id, card, reference))
                for s in shipments:
                    self.shipped[order.id].append((s.id, s.number, s.shipped_at, s.cost_of_goods))
            self._sold_events(order, paid_at, card, shipments)
        else:
            self._unpaid_events(order, placed, status)
        self._add_rows(order, shipments)
        return True

    def _set_lines(self, sale: Sale, order: Order, status: str) -> None:
        """Where each line ended: nothing stays allocated (history never holds stock)."""
        sold = status not in order_status.RELEASED
        for index, (ln, line) in enumerate(zip(sale.lines, order.lines, strict=True)):
            line.id = self.line_id
            self.line_id += 1
            line.quantity_allocated = 0
            line.quantity_shipped = self._units_shipped(sale, index) if sold else 0
            line.quantity_backordered = (ln.quantity - line.quantity_shipped) if sold else 0
            line.expected_ship_date = sale.expected[index] if sold else None

    @staticmethod
    def _units_shipped(sale: Sale, index: int) -> int:
        return sum(q for d in sale.departures if d.shipped_at for i, q in d.units if i == index)

    def _shipments(self, sale: Sale, order: Order) -> list[Shipment]:
        """The departures that left, packed as the warehouse would have packed them."""
        shipments = []
        for departure in sale.departures:
            if departure.shipped_at is None or not departure.units:
                continue
            sid = self.shipment_id
            self.shipment_id += 1
            units = [
                variant_unit(self.variants[sale.lines[i].item.id])
                for i, q in departure.units for _ in range(q)
            ]  # fmt: skip
            shipments.append(Shipment(
                id=sid, number=shipment_number(sid), order_id=order.id, status=SHIPPED,
                shipping_service_id=order.shipping_service_id,
                service_name=order.shipping_service_name,
                tracking_number=make_tracking_number(sid), shipped_at=departure.shipped_at,
                cost_of_goods=sum(order.lines[i].unit_cost * q for i, q in departure.units),
                user_id=self.warehouse.id if self.warehouse else None,
                created_at=departure.shipped_at - timedelta(minutes=self.rng.randint(20, 180)),
                lines=[ShipmentLine(order_line_id=order.lines[i].id, quantity=q,
                                    unit_cost=order.lines[i].unit_cost,
                                    cost=order.lines[i].unit_cost * q)
                       for i, q in departure.units],
                parcels=[proposed_parcel(p) for p in packing.pack(units, self.boxes)],
            ))  # fmt: skip
        return shipments

    def _payment(self, order: Order, paid_at: datetime) -> tuple[str, str]:
        """The demo charge that paid the order: (card, reference)."""
        card = self.rng.choices([c for c, _ in CARDS], weights=[w for _, w in CARDS])[0]
        reference = f"demo_{self.rng.getrandbits(96):024x}"
        order.payments.append(Payment(
            order_id=order.id, provider=PROVIDER, reference=reference, amount=order.total,
            currency=order.currency, status="succeeded", method=card, checkout_url=None,
            created_at=paid_at - timedelta(minutes=1),
        ))  # fmt: skip
        return card, reference

    def _sold_events(self, order: Order, paid_at, card, shipments) -> None:
        """What the real use cases record as the order is paid and ships."""
        self._at(paid_at, events.order_paid(order, PROVIDER, order.total, card))
        self._at(paid_at, events.confirmation_sent(order))
        for s in shipments:
            count = sum(line.quantity for line in s.lines)
            self._at(s.created_at, events.shipment_created(order, s.number, count, self.warehouse))
            self._at(
                s.shipped_at,
                events.shipment_shipped(order, s.number, count, s.tracking_number, self.warehouse),
            )
            self._at(s.shipped_at, events.shipment_emailed(order, s.number))  # fmt: skip

    def _unpaid_events(self, order: Order, placed, status) -> None:
        if status == order_status.EXPIRED:
            expired = placed + timedelta(minutes=self.payment_minutes + self.rng.randint(1, 9))
            self._at(expired, events.order_expired(order))
            self._at(expired, events.allocation_released(order, "expired"))
        else:
            cancelled = placed + timedelta(minutes=self.rng.randint(5, 50))
            self._at(cancelled, events.order_cancelled(order, None, CHANGED_MIND))
            self._at(cancelled, events.allocation_released(order, "cancelled"))

    @staticmethod
    def _at(moment: datetime, event) -> None:
        event.created_at = moment

    def _add_rows(self, order: Order, shipments: list[Shipment]) -> None:
        """Everything the order holds, as rows for the writer (its own columns only)."""
        order.events[0].created_at = order.created_at  # placed
        add = self.writer.add
        add("orders", row_of(order))
        for line in order.lines:
            add("order_lines", row_of(line, order_id=order.id))
        for tax in order.taxes:
            add("order_taxes", row_of(tax, order_id=order.id))
        for payment in order.payments:
            add("payments", row_of(payment))
        for s in shipments:
            add("shipments", row_of(s))
            for line in s.lines:
                add("shipment_lines", row_of(line, shipment_id=s.id))
            for parcel in s.parcels:
                add("parcels", row_of(parcel, shipment_id=s.id))
        if self.events:
            for event in order.events:
                add("order_events", row_of(event, order_id=order.id))

    def _count(self, sale: Sale, status: str, paid_at, shipments) -> None:
        r = self.result
        r.orders += 1
        r.lines += len(sale.lines)
        r.shipments += len(shipments)
        if paid_at is not None:
            r.sold += 1
            if status != order_status.SHIPPED:
                r.open_backorders += 1


def _variants(ids) -> dict[int, Variant]:
    """The variants sold, with what pricing and order lines read of them, loaded once."""
    rows = db.session.scalars(
        sa.select(Variant).where(Variant.id.in_(ids))
        .options(selectinload(Variant.product), selectinload(Variant.tax_class))
    )  # fmt: skip
    return {v.id: v for v in rows}
