"""An order's life up to payment: place it (allocate or backorder), pay, fail, expire.

Each public function is one use case: it flushes but never commits; the caller
commits once, so all of it happens or none of it.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop import clock, locks
from shop.accounting import services as books
from shop.accounting.agents import agent_for_code
from shop.accounts.models import ADDRESS_FIELDS
from shop.addresses import postal_code_problem
from shop.billing import services as billing
from shop.billing.files import pdf_attachment
from shop.billing.models import Invoice
from shop.cart.models import Cart
from shop.cart.services import CartSummary, summarise, token_digest
from shop.catalogue.models import Product, Variant
from shop.db import utcnow
from shop.discounts import services as discounts
from shop.discounts.errors import DiscountError
from shop.extensions import db
from shop.inventory import services as stock
from shop.notifications.services import queue_email
from shop.orders import events, pricing
from shop.orders import status as st
from shop.orders.errors import (
    AddressProblem,
    CannotSupply,
    CheckoutChanged,
    OrderError,
    unavailable_text,
)
from shop.orders.models import POLICY_LABELS, Order, OrderLine, OrderTax


@dataclass(frozen=True)
class CheckoutRequest:
    """What the customer chose, as kept by the checkout between its steps."""

    email: str
    address: dict
    service_id: int
    policy: str
    referral_code: str | None = None  # a commission agent's ?ref= code, if one brought them
    discount_code: str | None = None  # a discount code the customer entered

    @property
    def destination(self) -> pricing.Destination:
        return pricing.Destination(
            self.address["country"], self.address["province"], self.address["postal_code"]
        )


def price_checkout(*, cart: Cart, request: CheckoutRequest) -> pricing.Pricing:
    """Price the cart for this address, service and policy, or say why it cannot be."""
    return price_summary(summarise(cart), request)


def check_address(address: dict) -> None:
    """Raises AddressProblem when the postal code cannot be the province's: the province
    decides the tax and the postal code the shipping zone, so both must agree whatever
    way the address came (the form, a saved address, a tampered session)."""
    problem = postal_code_problem(
        country=address["country"], province=address["province"],
        postal_code=address["postal_code"],
    )  # fmt: skip
    if problem:
        raise AddressProblem(problem, field="postal_code")


def price_summary(summary: CartSummary, request: CheckoutRequest) -> pricing.Pricing:
    if not summary.lines:
        raise OrderError("Your cart is empty.")
    check_address(request.address)
    if request.policy not in POLICY_LABELS or request.policy not in pricing.policies_for(summary):
        raise CheckoutChanged("Please choose how to ship your order again.")
    for line in summary.lines:
        if not line.variant.is_sellable:
            raise CheckoutChanged(f"{line.variant.full_name} is no longer sold; remove it first.")
        if not line.availability.can_order:
            raise CheckoutChanged(
                f"Only {line.availability.on_hand_free} of {line.variant.full_name} left; "
                "please change the quantity in your cart."
            )
    offer = discount_offer(summary, request)
    quotes = pricing.quotes_for(summary, request.destination, request.policy, offer)
    quote = next((q for q in quotes if q.service.id == request.service_id), None)
    if quote is None:
        raise CheckoutChanged("Please choose a shipping service again.")
    return pricing.price(summary, request.destination, quote, request.policy, offer)


def discount_offer(summary: CartSummary, request: CheckoutRequest):
    """The entered discount code's offer for this cart (None without a code); raises
    DiscountError when the code does not apply."""
    if not request.discount_code:
        return None
    return discounts.offer_for(
        request.discount_code, email=request.email, lines=summary.lines,
        goods_subtotal=summary.subtotal,
    )  # fmt: skip


def offer_if_it_applies(summary: CartSummary, request: CheckoutRequest):
    """The code's offer, or None when there is no code or it does not apply (pricing the
    checkout then says why and takes the code off)."""
    try:
        return discount_offer(summary, request)
    except DiscountError:
        return None


def review_fingerprint(
    *, cart: Cart, request: CheckoutRequest, priced: pricing.Pricing, summary=None
) -> str:
    """What placing checks the figures shown against; `summary` saves summarising again."""
    summary = summary if summary is not None else summarise(cart)
    return pricing.fingerprint(
        summary, request.address, request.service_id, request.policy, priced.total,
        priced.taken.code,
    )  # fmt: skip


def place_order(
    *, cart: Cart, user, request: CheckoutRequest, reviewed: str, provider: str
) -> Order:
    """Freeze the cart into an order, allocating what is free and backordering the rest."""
    # Lock the stock rows (and read them afresh): from here on, no one else allocates them.
    locks.lock_stock_rows([line.variant_id for line in cart.lines])
    summary = summarise(cart)
    priced = price_summary(summary, request)
    fingerprint = pricing.fingerprint(
        summary, request.address, request.service_id, request.policy, priced.total,
        priced.taken.code,
    )  # fmt: skip
    if fingerprint != reviewed:
        raise CheckoutChanged(
            "Your cart, prices or stock changed since you reviewed your order. "
            "Please check the new figures and place your order again."
        )
    lines = [_order_line(view, priced.line_discount(i)) for i, view in enumerate(summary.lines)]
    customer = user if getattr(user, "is_authenticated", False) else None
    order = new_order(
        user_id=getattr(customer, "id", None), request=request, priced=priced,
        provider=provider, lines=lines, cart_token=cart.token,
    )  # fmt: skip
    db.session.add(order)
    db.session.flush()
    order.number = order_number(order.id)
    if priced.taken.code:  # the database gives out the code's last use to one order only
        discounts.hold(order, priced.taken)
    agent = agent_for_code(request.referral_code)
    if agent is not None:  # the commission is posted when the order is paid
        order.commission_agent_id, order.commission_rate = agent.id, agent.rate
    events.order_placed(order, user if getattr(user, "is_authenticated", False) else None)
    db.session.delete(cart)
    db.session.flush()
    return order


def new_order(
    *,
    user_id,
    request: CheckoutRequest,
    priced: pricing.Pricing,
    provider: str,
    lines,
    cart_token: str,
    now=None,
) -> Order:
    """The order as placing freezes it, not yet in the session: placing adds it, and the
    demo's history writes its columns as rows. `now` is the moment placed (the current
    time unless given); `cart_token` the token of the cart it comes from."""
    address = request.address
    now = utcnow() if now is None else now
    order = Order(
        number=f"T{secrets.token_hex(8)}",  # replaced by the real number once the id is known
        user_id=user_id,
        email=request.email,
        status=st.PENDING_PAYMENT,
        currency=current_app.config["BASE_CURRENCY"],
        shipping_policy=request.policy,
        access_token=secrets.token_urlsafe(24),
        shipping_service_id=priced.quote.service.id,
        shipping_service_name=priced.quote.service.full_name,
        shipment_count=len(priced.quote.shipments),
        subtotal=priced.subtotal,
        discount_code=priced.taken.code or None,
        discount_total=priced.taken.goods,
        shipping_discount=priced.taken.shipping,
        units=sum(line.quantity for line in lines),
        goods_cost=sum(line.unit_cost * line.quantity for line in lines),
        shipping_total=priced.shipping,
        shipping_cost=priced.quote.cost,
        tax_total=priced.tax_total,
        total=priced.total,
        payment_provider=provider,
        expires_at=now + timedelta(minutes=current_app.config["ORDER_PAYMENT_MINUTES"]),
        created_at=now,
        updated_at=now,
        **{f"ship_{name}": address.get(name) for name in ADDRESS_FIELDS},
        lines=lines,
        placed_from_cart=token_digest(cart_token),
        taxes=[
            OrderTax(component=t.component, rate=t.rate, taxable=t.taxable, amount=t.amount)
            for t in priced.taxes
        ],
        events=[],  # new: nothing to load before the first event is added
        payments=[],
    )
    return order


def order_number(order_id: int) -> str:
    return f"{current_app.config['ORDER_NUMBER_PREFIX']}{order_id + 10000}"


def _order_line(view, discount: int = 0) -> OrderLine:
    """One cart line frozen into an order line, with its stock allocated or backordered."""
    variant = view.variant
    allocated = stock.allocate(
        variant_id=variant.id, quantity=view.quantity, stock_row=variant.stock
    )
    if allocated < view.quantity and not variant.product.backorderable:
        raise CheckoutChanged(
            f"Only {allocated} of {variant.full_name} left; someone bought the rest a moment ago."
        )
    return frozen_line(view, allocated, discount)


def frozen_line(view, allocated: int, discount: int = 0) -> OrderLine:
    """A cart line (a CartLineView) as the order keeps it: price, cost and tax class of the
    moment, `allocated` units held and the rest backordered with its expected ship date.
    `discount` is the line's share of a discount code: line_total is what is left."""
    variant = view.variant
    short = view.quantity - allocated
    return OrderLine(
        variant_id=variant.id,
        sku=variant.sku,
        name=variant.full_name,
        unit_price=view.unit_price,
        quantity=view.quantity,
        line_total=view.total - discount,
        discount=discount,
        unit_cost=variant.cost,
        tax_class_id=variant.tax_class_id,
        tax_class_name=variant.tax_class.name,
        quantity_allocated=allocated,
        quantity_backordered=short,
        expected_ship_date=view.availability.ship_date if short else None,
    )


# --- status changes ---------------------------------------------------------------


def change_status(order: Order, new_status: str) -> None:
    st.check_transition(order.status, new_status)
    order.status = new_status


def release_allocation(order: Order, why: str) -> None:
    """Give an unpaid order's stock back; its lines keep no claim on stock. `why`:
    "payment_failed", "expired" or "cancelled" (shop.order_history.RELEASED)."""
    locks.lock_stock_rows([line.variant_id for line in order.lines])
    for line in order.lines:
        stock.release(variant_id=line.variant_id, quantity=line.quantity_allocated)
        line.quantity_allocated = 0
        line.quantity_backordered = 0
    discounts.give_back(order)
    events.allocation_released(order, why)


def reallocate(order: Order) -> None:
    """A released order that is paid after all claims its stock again (or backorders it).

    Raises CannotSupply, before changing anything, when an item is short and may
    not be backordered: it was sold to someone else meanwhile.
    """
    short = unavailable_items(order)
    if short:
        raise CannotSupply(short)
    for line in order.lines:
        owed = line.quantity - line.quantity_shipped - line.quantity_cancelled
        line.quantity_allocated = stock.allocate(variant_id=line.variant_id, quantity=owed)
        line.quantity_backordered = owed - line.quantity_allocated
    discounts.hold_again(order)


def unavailable_items(order: Order) -> list[dict]:
    """The items a released order could not get again, short of free stock and not
    backorderable: {"units", "name", "left"} each (unavailable_text reads one). Locks
    their stock rows, so the answer holds until the commit."""
    owed: dict[int, int] = {}
    for line in order.lines:
        owed[line.variant_id] = (
            owed.get(line.variant_id, 0)
            + line.quantity
            - line.quantity_shipped
            - line.quantity_cancelled
        )
    free = {row.variant_id: row.available for row in locks.lock_stock_rows(owed)}
    backorderable = dict(
        db.session.execute(
            sa.select(Variant.id, Product.backorderable)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.id.in_(owed))
        ).all()
    )
    names = {line.variant_id: line.name for line in order.lines}
    return [
        {"units": units, "name": names[variant_id], "left": max(free.get(variant_id, 0), 0)}
        for variant_id, units in owed.items()
        if units > free.get(variant_id, 0) and not backorderable.get(variant_id, False)
    ]


def check_can_supply(order: Order) -> Order:
    """Before money is taken: the order locked and, if it gave its stock back, every item
    still to be had (free or backorderable); raises CannotSupply naming those that are not."""
    order = locks.lock_order(order.id)
    if order.status in st.RELEASED:
        short = unavailable_items(order)
        if short:
            raise CannotSupply(short)
    return order


def mark_paid(
    order: Order, *, provider: str, amount: int, method: str = "", now: datetime | None = None
) -> None:
    """Paid: the invoice is issued (PAID), the sale and any commission are posted, the
    customer is emailed; all in the transaction that records the payment.

    `now` is the moment of payment (the current time unless given)."""
    if order.status in st.RELEASED:
        reallocate(order)
    change_status(order, st.PAID)
    order.paid_at = utcnow() if now is None else now
    events.order_paid(order, provider, amount, method)
    invoice = billing.issue_invoice(order=order, payment_method=method or provider, now=now)
    events.invoice_issued(order, invoice.number)
    books.post_sale(order=order, invoice=invoice)
    books.post_commission(order=order, on=clock.store_date(order.paid_at))
    send_confirmation(order, invoice)


NO_PAYMENT_DUE = "No payment due"


def settle_if_nothing_due(order: Order) -> bool:
    """An order a discount code made free has nothing to pay (and no provider takes
    $0.00): it is paid on placing, with its invoice, books and email. True if it was."""
    if order.total != 0:
        return False
    mark_paid(order, provider=order.payment_provider, amount=0, method=NO_PAYMENT_DUE)
    return True


def refund_unsupplied(order: Order, *, provider: str, amount: int, refund_id: str) -> None:
    """Money taken for an order that can no longer be supplied went back: the history
    says so and the customer is told which items are gone. The order stays unpaid."""
    items = unavailable_items(order)
    events.payment_refunded(order, provider, amount, refund_id, items)
    queue_email(
        to=order.email,
        subject=f"Order {order.number}: your payment was refunded",
        kind="payment_refunded",
        order=order,
        items=[unavailable_text(item) for item in items],
        amount=amount,
    )
    events.refund_notice_sent(order)


def refund_cancelled(order: Order, *, provider: str, amount: int, refund_id: str) -> None:
    """Money taken for an order already cancelled (paid on a payment page left open) went
    back: the history says so and the customer is told. The order stays cancelled."""
    events.payment_refunded_cancelled(order, provider, amount, refund_id)
    queue_email(
        to=order.email,
        subject=f"Order {order.number}: your payment was refunded",
        kind="payment_refunded",
        order=order,
        items=[],
        cancelled=True,
        amount=amount,
    )
    events.refund_notice_sent(order)


def mark_payment_failed(order: Order, *, provider: str, reason: str) -> None:
    change_status(order, st.PAYMENT_FAILED)
    events.payment_failed(order, provider, reason)
    release_allocation(order, "payment_failed")


def expire_order(order: Order) -> None:
    change_status(order, st.EXPIRED)
    events.order_expired(order)
    release_allocation(order, "expired")


EXPIRY_BATCH = 100


@dataclass
class ExpiryBatch:
    """What one batch of the expiry job did."""

    expired: list[str]
    failed: list[str]
    last_id: int | None  # the highest order id looked at; None when nothing was due


def expire_due_orders(*, now, after_id: int = 0, limit: int = EXPIRY_BATCH) -> ExpiryBatch:
    """Expire the next batch of orders waiting for payment past their time.

    Each order is locked, skipping any another transaction holds (a customer
    paying it this moment, or another copy of the job), and its status and time
    are checked again under the lock. An order that fails is logged and left as
    it was (its savepoint is rolled back); the others in the batch still expire.
    """
    due = locks.claim_orders(
        Order.id > after_id,
        Order.status == st.PENDING_PAYMENT,
        Order.expires_at <= now,
        limit=limit,
    )
    batch = ExpiryBatch([], [], due[-1].id if due else None)
    for order in due:
        if order.status != st.PENDING_PAYMENT or order.expires_at > now:
            continue
        try:
            with db.session.begin_nested():
                expire_order(order)
        except Exception:
            current_app.logger.exception("order %s could not be expired", order.number)
            batch.failed.append(order.number)
        else:
            batch.expired.append(order.number)
    return batch


def send_confirmation(order: Order, invoice: Invoice) -> None:
    """The order-confirmation email, with the invoice PDF attached."""
    queue_email(
        to=order.email,
        subject=f"Order {order.number} confirmed",
        kind="order_confirmation",
        order=order,
        invoice=invoice,
        attachments=[pdf_attachment(invoice)],
    )
    events.confirmation_sent(order)


# --- reading ----------------------------------------------------------------------


def orders_of(user, limit: int = 50) -> list[Order]:
    """A customer's own orders, newest first."""
    query = sa.select(Order).where(Order.user_id == user.id).order_by(Order.id.desc()).limit(limit)
    # Their lines at once: the list says which orders wait for items or came back in full.
    return list(db.session.scalars(query.options(selectinload(Order.lines))))


def order_by_number(number: str) -> Order | None:
    return db.session.scalar(sa.select(Order).where(Order.number == number))


def order_placed_from_cart(*, token: str | None, user, session_orders) -> Order | None:
    """The order a checkout post finds when its cart is gone: the one placed from this
    cart a moment ago (a double click, a second tab) or, once the cart is out of the
    session too, the newest order of this customer or browser still waiting to be paid."""
    if isinstance(token, str) and token:
        placed = sa.select(Order).where(Order.placed_from_cart == token_digest(token))
        order = db.session.scalar(placed)
        if order is not None:
            return order
    ids = [i for i in session_orders or [] if isinstance(i, int)]
    theirs = Order.id.in_(ids)
    if getattr(user, "is_authenticated", False):
        theirs = sa.or_(theirs, Order.user_id == user.id)
    waiting = (
        sa.select(Order)
        .where(
            theirs,
            Order.placed_from_cart.is_not(None),
            Order.status.in_(st.PAYABLE),
            Order.expires_at > utcnow(),
        )
        .order_by(Order.id.desc())
        .limit(1)
    )
    return db.session.scalar(waiting)


def order_for_customer(*, number: str, user, token: str | None, session_orders) -> Order | None:
    """The order if this visitor may see it: theirs, in their session, or with its link token."""
    order = order_by_number(number)
    if order is None:
        return None
    if getattr(user, "is_authenticated", False) and order.user_id == user.id:
        return order
    if order.id in (session_orders or []):
        return order
    # As bytes: compare_digest refuses str with letters beyond ASCII (a forged é).
    if token and secrets.compare_digest(token.encode(), order.access_token.encode()):
        return order
    return None


# Which orders staff may cancel (the back office asks before showing its button); the
# cancellation itself, with its shipments and refund, is shop.after_sale.cancellations.
CANCELLABLE = (st.PENDING_PAYMENT, st.PAID)
