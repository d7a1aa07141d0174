"""Fulfilment: what the warehouse can pack, and a shipment from packing to shipped.

Allocated stock is consumed only when a shipment is confirmed: until then the
units stay reserved for their order. Confirming is one transaction: stock out
with its movements, the order's lines and status, the tracking number, cost of
goods in the books (at moving average cost, shop.inventory.valuation) and the
customer's email in the outbox. Each public function flushes but never commits;
the caller commits once.
"""

import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop import clock, locks
from shop.accounting import services as books
from shop.catalogue.models import Variant
from shop.db import utcnow
from shop.extensions import db
from shop.fulfilment import status as st
from shop.fulfilment.errors import FulfilmentError
from shop.fulfilment.models import Parcel, Shipment, ShipmentLine
from shop.fulfilment.tracking import tracking_link
from shop.inventory import services as stock
from shop.inventory import valuation
from shop.notifications.services import queue_email
from shop.orders import events
from shop.orders import status as order_status
from shop.orders.models import SHIP_COMPLETE, Order, OrderLine
from shop.orders.services import change_status
from shop.shipping import data as shipping_data
from shop.shipping import packing
from shop.shipping.models import Box, ShippingService
from shop.shipping.rates import box_specs, variant_unit

SHIPPABLE = (order_status.PAID, order_status.PARTIALLY_SHIPPED)
BUILT_IN_CARRIER = shipping_data.CARRIER["code"]  # tracking numbers are made here
NUMBER_PREFIX = "SH-"
TRACKING = re.compile(r"[A-Z0-9][A-Z0-9-]{5,39}")
OWN_PACKAGING = "Own packaging"
TO_PACK_PER_PAGE = 100
SHIPMENTS_PER_PAGE = 50


# --- reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class ToPack:
    """An order the warehouse can pack now: its allocated lines and any open shipment."""

    order: Order
    lines: list[OrderLine]
    shipment: Shipment | None

    @property
    def units(self) -> int:
        return sum(line.quantity_allocated for line in self.lines)


def _packable():
    has_allocated = sa.exists().where(
        OrderLine.order_id == Order.id, OrderLine.quantity_allocated > 0
    )
    has_backorder = sa.exists().where(
        OrderLine.order_id == Order.id, OrderLine.quantity_backordered > 0
    )
    return sa.select(Order).where(
        Order.status.in_(SHIPPABLE),
        has_allocated,
        sa.or_(Order.shipping_policy != SHIP_COMPLETE, ~has_backorder),
    )


def orders_to_pack(*, page: int = 1, per_page: int = TO_PACK_PER_PAGE):
    """Paid orders with allocated stock that may ship under their policy, oldest paid first.

    A ship-complete order is listed only once nothing of it is backordered. Three
    queries for a whole page (orders, their lines, their open shipments).
    """
    query = _packable().options(selectinload(Order.lines)).order_by(Order.paid_at, Order.id)
    pagination = db.paginate(
        query, page=page, per_page=per_page, max_per_page=per_page, error_out=False
    )
    orders = list(pagination.items)
    open_shipments = {}
    if orders:
        open_shipments = {
            s.order_id: s
            for s in db.session.scalars(
                sa.select(Shipment).where(
                    Shipment.order_id.in_([o.id for o in orders]), Shipment.status == st.PACKING
                )
            )
        }
    pagination.items = [
        ToPack(
            order=o,
            lines=[line for line in o.lines if line.quantity_allocated > 0],
            shipment=open_shipments.get(o.id),
        )
        for o in orders
    ]
    return pagination


def shipment_by_number(number: str) -> Shipment | None:
    """One shipment with its order, lines and parcels."""
    return db.session.scalar(
        sa.select(Shipment)
        .where(Shipment.number == number)
        .options(
            selectinload(Shipment.order).selectinload(Order.lines),
            selectinload(Shipment.lines).selectinload(ShipmentLine.order_line),
            selectinload(Shipment.parcels),
        )
    )


def shipments(*, status: str | None = None, page: int = 1, per_page: int = SHIPMENTS_PER_PAGE):
    """Shipments newest first, optionally of one status, with their orders and lines."""
    query = (
        sa.select(Shipment)
        .options(selectinload(Shipment.order), selectinload(Shipment.lines))
        .order_by(Shipment.id.desc())
    )
    if status:
        query = query.where(Shipment.status == status)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def active_boxes() -> list[Box]:
    return list(
        db.session.scalars(
            sa.select(Box)
            .where(Box.is_active.is_(True))
            .order_by(Box.length_mm * Box.width_mm * Box.height_mm, Box.name)
        )
    )


def tracking_made_here(shipment: Shipment) -> bool:
    """Whether the built-in carrier carries it (its tracking number is made here, at packing)."""
    if shipment.shipping_service_id is None:
        return False
    service = db.session.get(ShippingService, shipment.shipping_service_id)
    return service is not None and service.carrier.code == BUILT_IN_CARRIER


# --- starting a shipment ----------------------------------------------------------


def start_shipment(*, order: Order, user) -> Shipment:
    """A shipment being packed: every allocated unit of the order, in the boxes proposed."""
    order = locks.lock_order(order.id)
    _check_shippable(order)
    if order.shipping_policy == SHIP_COMPLETE and any(
        line.quantity_backordered for line in order.lines
    ):
        raise FulfilmentError(
            f"Order {order.number} waits to ship complete and part of it is backordered; "
            "it can be packed once every line is allocated."
        )
    already = db.session.scalar(
        sa.select(Shipment.number).where(
            Shipment.order_id == order.id, Shipment.status == st.PACKING
        )
    )
    if already is not None:
        raise FulfilmentError(f"Shipment {already} of order {order.number} is already packing.")
    lines = [line for line in order.lines if line.quantity_allocated > 0]
    if not lines:
        raise FulfilmentError(f"Nothing of order {order.number} is allocated to ship yet.")
    variants = _variants([line.variant_id for line in lines])
    units = [
        variant_unit(variants[line.variant_id])
        for line in lines
        for _ in range(line.quantity_allocated)
    ]
    shipment = Shipment(
        number=f"T{secrets.token_hex(8)}",  # replaced once the id is known
        order_id=order.id,
        status=st.PACKING,
        shipping_service_id=order.shipping_service_id,
        service_name=order.shipping_service_name,
        user_id=getattr(user, "id", None),
        lines=[ShipmentLine(order_line=line, quantity=line.quantity_allocated) for line in lines],
        parcels=[proposed_parcel(p) for p in packing.pack(units, box_specs())],
    )
    db.session.add(shipment)
    db.session.flush()
    shipment.number = shipment_number(shipment.id)
    if tracking_made_here(shipment):  # known now, so the label can be printed before it leaves
        shipment.tracking_number = make_tracking_number(shipment.id)
    events.shipment_created(order, shipment.number, len(units), user)
    db.session.flush()
    return shipment


def _variants(variant_ids) -> dict[int, Variant]:
    rows = db.session.scalars(sa.select(Variant).where(Variant.id.in_(set(variant_ids))))
    return {v.id: v for v in rows}


def shipment_number(shipment_id: int) -> str:
    return f"{NUMBER_PREFIX}{shipment_id:06d}"


def proposed_parcel(proposed: packing.Parcel) -> Parcel:
    """A parcel as packing proposed it (box, outer size, weight), ready to be kept."""
    length, width, height = proposed.dims_mm
    return Parcel(
        box_id=proposed.box.id if proposed.box else None,
        box_name=proposed.box.name if proposed.box else OWN_PACKAGING,
        length_mm=length,
        width_mm=width,
        height_mm=height,
        weight_g=max(proposed.weight_g, 1),
    )


# --- packing: boxes, weights, quantities ------------------------------------------


@dataclass(frozen=True)
class ParcelEntry:
    """What staff chose for one parcel.

    parcel_id None adds a parcel; box_id None is the goods' own packaging;
    weight_g None (or the weight as it was) follows the box when the box changes.
    """

    parcel_id: int | None
    box_id: int | None
    weight_g: int | None
    remove: bool = False


def update_parcels(
    *, shipment: Shipment, parcels: list[ParcelEntry], quantities: dict[int, int] | None = None
) -> Shipment:
    """Staff pack: the box and weight of each parcel, and (optionally) fewer units of a line.

    quantities maps shipment line ids to the units that go; 0 leaves a line out.
    """
    order, shipment = _lock_shipment(shipment)
    _check_packing(shipment)
    _check_shippable(order)
    if quantities:
        _set_quantities(shipment, order, quantities)
    boxes = {b.id: b for b in active_boxes()}
    existing = {p.id: p for p in shipment.parcels}
    for entry in parcels:
        if entry.parcel_id is None:
            _add_parcel(shipment, entry, boxes)
            continue
        parcel = existing.get(entry.parcel_id)
        if parcel is None:
            raise FulfilmentError("That parcel is not in this shipment; reload the page.")
        if entry.remove:
            shipment.parcels.remove(parcel)
        else:
            _change_parcel(shipment, parcel, entry, boxes)
    if not shipment.parcels:
        raise FulfilmentError("A shipment needs at least one parcel.")
    db.session.flush()
    return shipment


def _set_quantities(shipment: Shipment, order: Order, quantities: dict[int, int]) -> None:
    by_id = {line.id: line for line in shipment.lines}
    for line_id, quantity in quantities.items():
        line = by_id.get(line_id)
        if line is None:
            raise FulfilmentError("That line is not in this shipment; reload the page.")
        _check_allocated(order, line.order_line, quantity)
        if quantity < 0:
            raise FulfilmentError(f"Enter how many of {line.order_line.sku} go, 0 or more.")
    for line_id, quantity in quantities.items():
        if quantity == 0:
            shipment.lines.remove(by_id[line_id])
        else:
            by_id[line_id].quantity = quantity
    if not shipment.lines:
        raise FulfilmentError("A shipment must carry at least one unit.")
    _check_complete(order, shipment)


def _box(box_id: int, boxes: dict[int, Box]) -> Box:
    box = boxes.get(box_id)
    if box is None:
        raise FulfilmentError("Choose a box from the list.")
    return box


def _add_parcel(shipment: Shipment, entry: ParcelEntry, boxes: dict[int, Box]) -> None:
    if entry.box_id is None and entry.weight_g is None:
        return  # the empty row for another parcel, left empty
    if entry.box_id is None:
        raise FulfilmentError("Choose the box of the new parcel.")
    if entry.weight_g is None:
        raise FulfilmentError("Enter what the new parcel weighs, box and all.")
    box = _box(entry.box_id, boxes)
    shipment.parcels.append(
        Parcel(
            box_id=box.id,
            box_name=box.name,
            length_mm=box.length_mm,
            width_mm=box.width_mm,
            height_mm=box.height_mm,
            weight_g=entry.weight_g,
        )  # fmt: skip
    )


def _change_parcel(shipment, parcel: Parcel, entry: ParcelEntry, boxes: dict[int, Box]) -> None:
    old_box_weight = _box_weight(parcel, boxes)
    if entry.box_id != parcel.box_id:
        if entry.box_id is None:
            parcel.box_id, parcel.box_name = None, OWN_PACKAGING
            parcel.length_mm, parcel.width_mm, parcel.height_mm = _largest_unit(shipment)
        else:
            box = _box(entry.box_id, boxes)
            parcel.box_id, parcel.box_name = box.id, box.name
            parcel.length_mm, parcel.width_mm, parcel.height_mm = (
                box.length_mm, box.width_mm, box.height_mm,
            )  # fmt: skip
    if entry.weight_g is None or entry.weight_g == parcel.weight_g:
        # Not weighed again: the goods weigh what they did, in the box now chosen.
        parcel.weight_g = max(parcel.weight_g - old_box_weight + _box_weight(parcel, boxes), 1)
    else:
        parcel.weight_g = entry.weight_g


def _box_weight(parcel: Parcel, boxes: dict[int, Box]) -> int:
    if parcel.box_id is None:
        return 0
    box = boxes.get(parcel.box_id) or db.session.get(Box, parcel.box_id)
    return box.weight_g if box is not None else 0


def _largest_unit(shipment: Shipment) -> tuple[int, int, int]:
    variants = _variants([line.order_line.variant_id for line in shipment.lines])
    largest = max(variants.values(), key=lambda v: v.length_mm * v.width_mm * v.height_mm)
    return (largest.length_mm, largest.width_mm, largest.height_mm)


# --- shipping ---------------------------------------------------------------------


def confirm_shipment(*, shipment: Shipment, user, tracking_number: str | None = None) -> Shipment:
    """The parcels leave: stock out, allocation consumed, order shipped (or partly), cost of
    goods posted, the customer emailed with the tracking number; all or nothing."""
    order, shipment = _lock_shipment(shipment)
    st.check_transition(shipment.number, shipment.status, st.SHIPPED)
    _check_shippable(order)
    if not shipment.parcels:
        raise FulfilmentError("Add at least one parcel before confirming the shipment.")
    tracking = _tracking_number(shipment, tracking_number)
    locks.lock_stock_rows([line.order_line.variant_id for line in shipment.lines])
    for line in shipment.lines:
        _check_allocated(order, line.order_line, line.quantity)
    _check_complete(order, shipment)

    for line in shipment.lines:
        order_line = line.order_line
        movement = stock.consume_allocation(
            variant_id=order_line.variant_id, quantity=line.quantity,
            reference=shipment.number, note=f"Order {order.number}", user=user,
        )  # fmt: skip
        order_line.quantity_allocated -= line.quantity
        order_line.quantity_shipped += line.quantity
        # Exactly what left the inventory account: the units' share of the stock's value.
        line.cost = -movement.value
        line.unit_cost = valuation.average_cost(line.cost, line.quantity)
    shipment.cost_of_goods = sum(line.cost for line in shipment.lines)
    shipment.tracking_number = tracking
    shipment.status = st.SHIPPED
    shipment.shipped_at = utcnow()
    shipment.user_id = getattr(user, "id", None)

    # Cancelled units are owed no more: the order is shipped once the rest has left.
    everything = all(
        line.quantity_shipped + line.quantity_cancelled == line.quantity for line in order.lines
    )
    new_status = order_status.SHIPPED if everything else order_status.PARTIALLY_SHIPPED
    if order.status != new_status:
        change_status(order, new_status)
    units = sum(line.quantity for line in shipment.lines)
    events.shipment_shipped(order, shipment.number, units, tracking, user)
    if shipment.cost_of_goods:
        books.post_cost_of_goods(
            source_key=f"cogs:shipment:{shipment.id}", on=clock.store_date(shipment.shipped_at),
            cost=shipment.cost_of_goods, order_id=order.id,
            description=f"Cost of goods, shipment {shipment.number}, order {order.number}",
        )  # fmt: skip
    _email_shipped(order, shipment)
    db.session.flush()
    return shipment


def cancel_shipment(*, shipment: Shipment, user) -> Shipment:
    """Stop packing: nothing has left, so the order's lines keep their allocation."""
    order, shipment = _lock_shipment(shipment)
    st.check_transition(shipment.number, shipment.status, st.CANCELLED)
    shipment.status = st.CANCELLED
    events.shipment_cancelled(order, shipment.number, user)
    db.session.flush()
    return shipment


def still_to_come(order: Order, after: Shipment | None = None) -> list[tuple[OrderLine, int]]:
    """Each line with units not yet shipped, and how many; `after`: a shipment being
    packed, whose units are not counted (they leave with it)."""
    leaving = {sl.order_line_id: sl.quantity for sl in after.lines} if after else {}
    left = [
        (line, line.quantity - line.quantity_shipped - line.quantity_cancelled
         - leaving.get(line.id, 0))
        for line in order.lines
    ]  # fmt: skip
    return [(line, units) for line, units in left if units > 0]


def _email_shipped(order: Order, shipment: Shipment) -> None:
    service = (
        db.session.get(ShippingService, shipment.shipping_service_id)
        if shipment.shipping_service_id
        else None
    )
    queue_email(
        to=order.email,
        subject=f"Order {order.number} has shipped",
        kind="shipment_shipped",
        order=order,
        shipment=shipment,
        still_to_come=still_to_come(order),
        carrier=service.carrier.name if service is not None else "",
        tracking_url=tracking_link(
            service.carrier.tracking_url if service is not None else None,
            shipment.tracking_number,
        ),
    )
    events.shipment_emailed(order, shipment.number)


# --- tracking numbers -------------------------------------------------------------


def _tracking_number(shipment: Shipment, entered: str | None) -> str:
    if tracking_made_here(shipment):
        return shipment.tracking_number or make_tracking_number(shipment.id)
    text = (entered or "").strip().upper().replace(" ", "")
    if not text:
        raise FulfilmentError(
            f"Enter the tracking number that {shipment.service_name} gave for this shipment.",
            field="tracking_number",
        )
    if not TRACKING.fullmatch(text):
        raise FulfilmentError(
            "A tracking number has 6 to 40 letters, digits or dashes.", field="tracking_number"
        )
    taken = db.session.scalar(
        sa.select(Shipment.number).where(
            Shipment.tracking_number == text, Shipment.id != shipment.id
        )
    )
    if taken is not None:
        raise FulfilmentError(
            f"Tracking number {text} is already on shipment {taken}.", field="tracking_number"
        )
    return text


def make_tracking_number(shipment_id: int) -> str:
    """16 digits in the style of a Canada Post parcel PIN: the shipment's id (so no two are
    alike), four random digits, and a mod-10 (Luhn) check digit."""
    body = f"70{shipment_id:09d}{secrets.randbelow(10_000):04d}"
    return body + str(luhn_check_digit(body))


def luhn_check_digit(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2 == 0:  # doubled: the digit that will sit left of the check digit
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return (10 - total % 10) % 10


# --- checks and locks -------------------------------------------------------------


def _check_shippable(order: Order) -> None:
    if order.status not in SHIPPABLE:
        raise FulfilmentError(
            f"Order {order.number} is {order.status_label.lower()}; "
            "only a paid order can be packed and shipped."
        )


def _check_packing(shipment: Shipment) -> None:
    if shipment.status != st.PACKING:
        raise FulfilmentError(
            f"Shipment {shipment.number} is {st.LABELS[shipment.status].lower()}; "
            "only a shipment being packed can be changed."
        )


def _check_allocated(order: Order, line: OrderLine, quantity: int) -> None:
    if quantity > line.quantity_allocated:
        raise FulfilmentError(
            f"Only {line.quantity_allocated} of {line.sku} ({line.name}) "
            f"{'is' if line.quantity_allocated == 1 else 'are'} allocated to order "
            f"{order.number}; a shipment cannot take {quantity}."
        )


def _check_complete(order: Order, shipment: Shipment) -> None:
    """A ship-complete order leaves in one go: the shipment takes every unit still owed."""
    if order.shipping_policy != SHIP_COMPLETE:
        return
    taking = {line.order_line_id: line.quantity for line in shipment.lines}
    owed = {
        line.id: line.quantity - line.quantity_shipped - line.quantity_cancelled
        for line in order.lines
    }
    if any(taking.get(line_id, 0) < units for line_id, units in owed.items()):
        raise FulfilmentError(
            f"The customer asked for order {order.number} to ship complete; "
            "this shipment must take every unit of it."
        )


def _lock_shipment(shipment: Shipment) -> tuple[Order, Shipment]:
    """The shipment's order, then the shipment, locked and read afresh (shop.locks order).

    A shipment never moves to another order, so its order_id is read without a lock.
    """
    order = locks.lock_order(shipment.order_id)
    return order, locks.lock_shipment(shipment.id)
