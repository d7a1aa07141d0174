"""Returns: a customer asks, staff authorise or refuse, the parcel arrives, the money goes back.

The rules, in one place:

- What may be asked back. A shipped unit may be returned within the store's return
  window (StoreSettings.return_window_days) counted from the moment its shipment left.
  Units that already came back (OrderLine.quantity_returned) and units asked in another
  request whose parcel has not arrived yet (status in return_status.AWAITING_PARCEL) are
  taken first, oldest shipment first, so a unit is never asked back twice.
- Who decides. Every request waits for staff: they authorise it (the RMA number and the
  return slip become valid, the slip is emailed) or refuse it with a note. No reason
  authorises on its own: a photo or a word from the customer often settles "damaged" or
  "wrong item" without a parcel, and staff decide that.
- The parcel. Staff count each line as resellable (back into stock at the order line's
  frozen cost, stock movement "return", then the free units go to waiting backorders,
  oldest paid order first, as a receipt's do) or damaged (back into stock at that cost
  and written off at once with an "adjustment" movement, so the stock ledger shows both
  and the inventory account follows the valuation's posting rules).
- The money (refund_terms). The units received are refunded. The shipping the customer
  paid is given back when the store says so (StoreSettings.refund_shipping_on_return) or
  when a line's reason is the store's fault (return_status.STORE_FAULT: damaged,
  defective, not as described, wrong item); a restocking fee (the store's
  restocking_fee_percent, which staff may change on the receipt) is kept only when no
  line is the store's fault.

Every step locks the order first (shop.locks: a return request is only ever changed
under its order's lock), writes an order event and queues an email to the customer.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop import locks
from shop.backorders.queue import SERVED, allocate_to_backorders
from shop.billing.files import pdf_attachment
from shop.billing.services import next_number
from shop.clock import store_date
from shop.db import utcnow
from shop.documents.return_slip import render_return_slip
from shop.extensions import db
from shop.formatting import local_date
from shop.fulfilment import status as shipment_status
from shop.fulfilment.models import Shipment, ShipmentLine
from shop.inventory import reasons
from shop.inventory import services as stock
from shop.money import format_money
from shop.notifications.services import queue_email
from shop.orders import events
from shop.orders.models import Order, OrderLine
from shop.refunds import services as refunds
from shop.refunds import status as refund_status
from shop.refunds.models import Refund
from shop.returns import status as return_status
from shop.returns.models import ReturnLine, ReturnRequest
from shop.returns.status import ReturnError
from shop.store_details.services import store_settings

MAX_NOTE = 1000
MAX_NUMBER = 20  # the longest RMA number the column holds; a longer one is simply not found
SERIES = "RMA"
PDF = "application/pdf"


# --- what may be asked back ----------------------------------------------------------


@dataclass(frozen=True)
class Returnable:
    """A line of an order and how many of its units the customer may ask back now."""

    line: OrderLine
    units: int
    shipped: int  # units that left
    claimed: int  # returned, or asked in a request whose parcel has not come
    window_ends: datetime | None  # the last moment a unit of the line may be asked back


def _shipped_of(order: Order) -> dict[int, list[tuple[datetime, int]]]:
    """(shipped at, units) per order line, oldest first, from the order's shipments."""
    rows = db.session.execute(
        sa.select(ShipmentLine.order_line_id, Shipment.shipped_at, ShipmentLine.quantity)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order.id, Shipment.status == shipment_status.SHIPPED)
        .order_by(Shipment.shipped_at, Shipment.id)
    ).all()
    found: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for line_id, shipped_at, units in rows:
        found[line_id].append((shipped_at, units))
    return found


def _awaiting_of(order: Order, *, excluding: int | None = None) -> dict[int, int]:
    """Units per order line asked in this order's requests whose parcel has not come."""
    query = (
        sa.select(ReturnLine.order_line_id, sa.func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(
            ReturnRequest.order_id == order.id,
            ReturnRequest.status.in_(sorted(return_status.AWAITING_PARCEL)),
        )
        .group_by(ReturnLine.order_line_id)
    )
    if excluding is not None:
        query = query.where(ReturnRequest.id != excluding)
    return {line_id: int(units) for line_id, units in db.session.execute(query)}


def returnable_lines(order: Order, now: datetime | None = None) -> list[Returnable]:
    """Each line of the order with the units that may be asked back at `now`.

    Units already returned or asked are taken from the oldest shipments first: what is
    left to ask is the newest units, and of those only the ones still in the window.
    """
    now = now or utcnow()
    window = timedelta(days=store_settings().return_window_days)
    shipped = _shipped_of(order)
    awaiting = _awaiting_of(order)
    found = []
    for line in order.lines:
        departures = shipped.get(line.id, [])
        claimed = line.quantity_returned + awaiting.get(line.id, 0)
        left = claimed
        units = 0
        for shipped_at, count in departures:
            taken = min(left, count)
            left -= taken
            if shipped_at + window >= now:
                units += count - taken
        ends = departures[-1][0] + window if departures else None
        total = sum(count for _, count in departures)
        found.append(Returnable(line, max(units, 0), total, claimed, ends))
    return found


def can_ask(order: Order) -> bool:
    """Whether any unit of the order may be asked back now (the order page's button)."""
    return any(r.units for r in returnable_lines(order))


# --- the customer asks ---------------------------------------------------------------


def _rma_number(moment: datetime) -> str:
    series = f"{SERIES}-{store_date(moment).year}"
    return f"{series}-{next_number(series):06d}"


def _check_note(note: str, what: str = "note") -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ReturnError(f"Keep the {what} to {MAX_NOTE} characters.", field="note")
    return note


def request_return(
    *, order: Order, lines: dict[int, tuple[int, str]], note: str = "", user=None
) -> ReturnRequest:
    """The customer asks to send back units of shipped lines: {order line id: (units, reason)}.

    Lines asked with 0 units are left out; at least one unit must be asked. Raises
    ReturnError (nothing written) for a line of another order, a reason not in the list,
    or more units than may be returned now (see returnable_lines).
    """
    order = locks.lock_order(order.id)
    note = _check_note(note)
    wanted = {line_id: asked for line_id, asked in lines.items() if asked[0]}
    if not wanted:
        raise ReturnError("Choose at least one item to return and how many.")
    now = utcnow()
    allowed = {r.line.id: r for r in returnable_lines(order, now)}
    request = ReturnRequest(
        number=_rma_number(now), order_id=order.id, status=return_status.REQUESTED,
        customer_note=note, requested_by_id=getattr(user, "id", None),
    )  # fmt: skip
    for line_id, (units, reason) in sorted(wanted.items()):
        found = allowed.get(line_id)
        if found is None:
            raise ReturnError(f"That item is not part of order {order.number}.")
        _check_units(found, units, now)
        if reason not in return_status.REASONS:
            raise ReturnError(f"Choose why you are returning {found.line.name}.", field="reason")
        request.lines.append(ReturnLine(order_line_id=line_id, quantity=units, reason=reason))
    db.session.add(request)
    db.session.flush()
    events.return_requested(order, request.number, _asked(request), user)
    _email(request, "return_requested", f"Return {request.number} for order {order.number}")
    return request


def _check_units(found: Returnable, units: int, now: datetime) -> None:
    name = found.line.name
    if units < 0:
        raise ReturnError(f"Enter how many of {name} you are returning.", field="quantity")
    if units <= found.units:
        return
    if found.shipped == 0:
        raise ReturnError(f"{name} has not been shipped yet, so it cannot be returned.")
    if found.units == 0 and found.claimed >= found.shipped:
        raise ReturnError(f"Every unit of {name} that was shipped is already being returned.")
    if found.units == 0 and found.window_ends is not None and found.window_ends < now:
        day = store_date(found.window_ends)
        raise ReturnError(
            f"The return window for {name} closed on {local_date(day)}: it can no longer be "
            "returned."
        )
    raise ReturnError(
        f"You can return at most {found.units} of {name} "
        f"({found.shipped} shipped, {found.claimed} already returned or being returned).",
        field="quantity",
    )


# --- staff decide ----------------------------------------------------------------------


def _locked(request: ReturnRequest) -> tuple[Order, ReturnRequest]:
    """The request's order under its lock, and the request read afresh (the order's lock
    covers its return requests)."""
    order = locks.lock_order(request.order_id)
    fresh = db.session.scalar(
        sa.select(ReturnRequest)
        .where(ReturnRequest.id == request.id)
        .options(selectinload(ReturnRequest.lines).selectinload(ReturnLine.order_line))
        .execution_options(populate_existing=True)
    )
    return order, fresh


def _move(request: ReturnRequest, new: str) -> None:
    return_status.check_transition(request.number, request.status, new)
    request.status = new


def authorise_return(*, request: ReturnRequest, note: str = "", user=None) -> ReturnRequest:
    """Staff accept the request: the customer gets the RMA's slip to put in the parcel."""
    order, request = _locked(request)
    note = _check_note(note)
    _move(request, return_status.AUTHORISED)
    request.staff_note = note
    request.decided_by_id = getattr(user, "id", None)
    request.decided_at = utcnow()
    db.session.flush()
    events.return_authorised(order, request.number, note, user)
    slip = (f"{request.number}.pdf", PDF, slip_pdf(request))
    _email(
        request, "return_authorised",
        f"Return {request.number} authorised: your return slip", attachments=[slip],
    )  # fmt: skip
    return request


def refuse_return(*, request: ReturnRequest, note: str, user=None) -> ReturnRequest:
    """Staff say no, and why; the customer is told."""
    order, request = _locked(request)
    note = _check_note(note)
    if not note:
        raise ReturnError("Say why the return is refused: the customer reads it.", field="note")
    _move(request, return_status.REFUSED)
    request.staff_note = note
    request.decided_by_id = getattr(user, "id", None)
    request.decided_at = utcnow()
    db.session.flush()
    events.return_refused(order, request.number, note, user)
    _email(request, "return_refused", f"Return {request.number} for order {order.number}")
    return request


def withdraw_return(*, request: ReturnRequest, user=None) -> ReturnRequest:
    """The customer changes their mind before sending anything: the units may be asked
    again (within the window)."""
    order, request = _locked(request)
    _move(request, return_status.CANCELLED)
    db.session.flush()
    events.return_withdrawn(order, request.number, user)
    _email(request, "return_withdrawn", f"Return {request.number} withdrawn")
    return request


# --- the parcel arrives --------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What came back of one return line."""

    resellable: int
    damaged: int


def _queue_order_ids(variant_ids) -> list[int]:
    """Orders waiting for these variants (their backorders get the units back in stock)."""
    return list(
        db.session.scalars(
            sa.select(OrderLine.order_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.variant_id.in_(sorted(set(variant_ids)) or [0]),
                OrderLine.quantity_backordered > 0,
                Order.status.in_(SERVED),
            )
            .distinct()
        )
    )


def receive_return(
    *, request: ReturnRequest, received: dict[int, Receipt], user=None, note: str = "",
    restocking_fee_percent: Decimal | None = None, refund_shipping: bool | None = None,
):  # fmt: skip
    """The parcel is opened: {return line id: Receipt(resellable, damaged)}; every unit
    received is refunded (but for units staff already refunded by hand: then the request
    stays received, without a refund). Returns (request, refund or None); call
    refunds.send_refunds([refund.id]) after the commit.

    Resellable units go back into stock at the order line's cost (movement "return") and
    then to waiting backorders, oldest paid order first; damaged units come back at that
    cost and are written off at once (movement "adjustment"). The order lines count the
    units as returned. The refund follows refund_terms() unless staff changed the fee
    (a percentage, 15 for 15 %) or the shipping. Raises ReturnError or RefundError,
    nothing changed, for a request that is not authorised, a line of another request, more
    units than the line asked, or a refund the order cannot take.
    """
    request = _receive(request, received, user, note)
    refund = _refund(request, restocking_fee_percent, refund_shipping, user)
    return request, refund


def _receive(request: ReturnRequest, received: dict[int, Receipt], user, note: str):
    # Orders first, by id: this order and every order whose backorders may get the units.
    variant_ids = sorted({line.order_line.variant_id for line in request.lines})
    locks.lock_orders([request.order_id, *_queue_order_ids(variant_ids)])
    order, request = _locked(request)
    note = _check_note(note)
    _move(request, return_status.RECEIVED)
    by_id = {line.id: line for line in request.lines}
    unknown = set(received) - set(by_id)
    if unknown:
        raise ReturnError(f"That line is not part of return {request.number}.")
    if not sum(r.resellable + r.damaged for r in received.values()):
        raise ReturnError("Enter the units that came back: at least one, resellable or damaged.")
    moved = []
    for line in request.lines:
        got = received.get(line.id, Receipt(0, 0))
        _check_received(request, line, got)
        line.quantity_resellable, line.quantity_damaged = got.resellable, got.damaged
        units = got.resellable + got.damaged
        if not units:
            continue
        ordered = line.order_line
        ordered.quantity_returned += units
        stock.record_movement(
            variant_id=ordered.variant_id, quantity=units, reason=reasons.RETURN,
            reference=request.number, unit_cost=ordered.unit_cost, user=user,
            note=f"Order {order.number}: {got.resellable} resellable, {got.damaged} damaged",
        )  # fmt: skip
        if got.damaged:
            stock.record_movement(
                variant_id=ordered.variant_id, quantity=-got.damaged,
                reason=reasons.ADJUSTMENT, reference=request.number, user=user,
                note=f"Scrapped: returned damaged under {request.number}",
            )  # fmt: skip
        if got.resellable:
            moved.append(ordered.variant_id)
    request.received_by_id = getattr(user, "id", None)
    request.received_at = utcnow()
    if note:
        request.staff_note = "\n".join(n for n in (request.staff_note, note) if n)[:MAX_NOTE]
    db.session.flush()
    events.return_received(order, request.number, _received(request), user)
    if moved:
        allocate_to_backorders(moved, reference=f"return {request.number}", user=user)
    return request


def _refund(request: ReturnRequest, fee_percent, shipping, user):
    terms = refund_terms(request)
    fee = terms.restocking_fee_percent if fee_percent is None else Decimal(fee_percent)
    if not Decimal(0) <= fee <= Decimal(100):
        raise ReturnError("Enter a restocking fee from 0 to 100%.", field="restocking_fee_percent")
    units: dict[int, int] = defaultdict(int)
    for line in request.lines:
        # Units staff already refunded by hand (from the order's page) are not paid twice.
        left = line.order_line.quantity - refunds.refunded_units(line.order_line)
        got = min(line.quantity_resellable + line.quantity_damaged, max(left, 0))
        if got:
            units[line.order_line_id] += got
    order = db.session.get(Order, request.order_id)
    shipping = terms.shipping if shipping is None else shipping
    kept_all = units and fee == 100 and not shipping  # staff keep the whole price
    free = units and not order.total  # a code made it free: nothing was paid to give back
    if not units or kept_all or free:
        cause = "nothing_paid" if free else "fee_kept" if kept_all else "already_refunded"
        events.return_not_refunded(order, request.number, cause, user)
        _email(request, "return_refunded", f"Return {request.number} received", refund=None)
        return None
    refund = refunds.refund_order(
        order=order, lines=dict(units), shipping=shipping,
        restocking_fee_percent=fee, reason=refund_status.RETURN,
        note=request.number, user=user, return_request=request, notify=False,
    )  # fmt: skip
    _move(request, return_status.REFUNDED)
    db.session.flush()
    money = _money(refund.amount, order)
    events.return_refunded(
        order, request.number, refund.amount, refund.restocking_fee or 0,
        refund.credit_note.number, user,
    )  # fmt: skip
    _email(
        request, "return_refunded",
        f"Return {request.number}: {money} refunded",
        attachments=[pdf_attachment(refund.credit_note)], refund=refund,
    )  # fmt: skip
    return refund


def _money(amount: int, order: Order) -> str:
    return format_money(amount, order.currency, current_app.config["LOCALE"])


def _check_received(request: ReturnRequest, line: ReturnLine, got: Receipt) -> None:
    name = line.order_line.name
    if got.resellable < 0 or got.damaged < 0:
        raise ReturnError(f"Enter whole numbers of {name} that came back.", field="quantity")
    if got.resellable + got.damaged > line.quantity:
        raise ReturnError(
            f"{name}: {got.resellable + got.damaged} received, but return {request.number} "
            f"authorised {line.quantity}.",
            field="quantity",
        )


# --- what the refund gives back ------------------------------------------------------


@dataclass(frozen=True)
class RefundTerms:
    """The store's rule for a return's refund, which staff see (and may change) on the form."""

    shipping: bool  # the shipping the customer paid goes back
    restocking_fee_percent: Decimal  # kept from the goods' price
    store_fault: bool  # a line's reason is the store's fault

    @property
    def explanation(self) -> str:
        if self.store_fault:
            return (
                "A reason is the store's fault: the shipping goes back and no restocking fee "
                "is kept."
            )
        shipping = "goes back" if self.shipping else "is kept"
        fee = (
            f"a restocking fee of {self.restocking_fee_percent.normalize():f} % is kept"
            if self.restocking_fee_percent
            else "no restocking fee is kept"
        )
        return (
            f"No reason is the store's fault: the shipping {shipping} and {fee} (store settings)."
        )


def refund_terms(request: ReturnRequest) -> RefundTerms:
    settings = store_settings()
    fault = any(line.reason in return_status.STORE_FAULT for line in request.lines)
    return RefundTerms(
        shipping=fault or settings.refund_shipping_on_return,
        restocking_fee_percent=Decimal(0) if fault else settings.restocking_fee_percent,
        store_fault=fault,
    )


# --- reading ---------------------------------------------------------------------------


def _with_lines():
    return selectinload(ReturnRequest.lines).selectinload(ReturnLine.order_line)


def requests_of(order: Order) -> list[ReturnRequest]:
    return list(
        db.session.scalars(
            sa.select(ReturnRequest)
            .where(ReturnRequest.order_id == order.id)
            .options(_with_lines())
            .order_by(ReturnRequest.id)
        )
    )


def request_of_order(order: Order, number: str) -> ReturnRequest | None:
    """The order's request with this RMA number (another order's is not found)."""
    if len(number) > MAX_NUMBER:
        return None
    return db.session.scalar(
        sa.select(ReturnRequest)
        .where(ReturnRequest.order_id == order.id, ReturnRequest.number == number)
        .options(_with_lines())
    )


def request_by_number(number: str) -> ReturnRequest | None:
    if len(number) > MAX_NUMBER:
        return None
    return db.session.scalar(
        sa.select(ReturnRequest)
        .where(ReturnRequest.number == number)
        .options(_with_lines(), selectinload(ReturnRequest.order))
    )


def refunded_by_request(order: Order) -> dict[int, int]:
    """What went back for each of the order's return requests (refunds not failed), cents."""
    rows = db.session.execute(
        sa.select(Refund.return_id, sa.func.sum(Refund.amount))
        .where(
            Refund.order_id == order.id,
            Refund.return_id.is_not(None),
            Refund.status != refund_status.FAILED,
        )
        .group_by(Refund.return_id)
    )
    return {return_id: int(amount) for return_id, amount in rows}


LIST_PER_PAGE = 50


def admin_requests(*, status: str | None = None, page: int = 1, per_page: int = LIST_PER_PAGE):
    """Return requests newest first, of one status when asked."""
    query = (
        sa.select(ReturnRequest)
        .options(_with_lines(), selectinload(ReturnRequest.order))
        .order_by(ReturnRequest.id.desc())
    )
    if status:
        query = query.where(ReturnRequest.status == status)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(ReturnRequest.status, sa.func.count()).group_by(ReturnRequest.status)
    )
    return dict(rows.all())


def slip_available(request: ReturnRequest) -> bool:
    """The slip is valid once staff authorised the return (and stays readable after)."""
    return request.status in (
        return_status.AUTHORISED, return_status.RECEIVED, return_status.REFUNDED,
    )  # fmt: skip


def slip_pdf(request: ReturnRequest) -> bytes:
    cfg = current_app.config
    return render_return_slip(
        request, settings=store_settings(), locale=cfg["LOCALE"], timezone=cfg["TIMEZONE"]
    )


# --- telling the customer ------------------------------------------------------------


def _asked(request: ReturnRequest) -> list[dict]:
    """The lines asked back, as the history keeps them (shop.orders.events)."""
    return [
        {"sku": line.order_line.sku, "units": line.quantity, "reason": line.reason}
        for line in request.lines
    ]


def _received(request: ReturnRequest) -> list[dict]:
    return [
        {"sku": line.order_line.sku, "units": line.quantity,
         "resellable": line.quantity_resellable, "damaged": line.quantity_damaged}
        for line in request.lines
    ]  # fmt: skip


def _email(request: ReturnRequest, kind: str, subject: str, attachments=(), **context) -> None:
    order = db.session.get(Order, request.order_id)
    queue_email(
        to=order.email, subject=subject, kind=kind, order=order, rr=request,
        attachments=list(attachments), **context,
    )  # fmt: skip
