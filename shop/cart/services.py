"""Carts: a guest's cart lives in the database with its id in the session;
at login it is merged into the customer's cart. Totals come from the catalogue."""

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, session
from sqlalchemy.orm import selectinload

from shop import locks
from shop.cart.errors import CartError
from shop.cart.models import Cart, CartLine, CheckoutState
from shop.catalogue.models import Variant
from shop.db import utcnow
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.promise.availability import Availability, availabilities, availability

SESSION_KEY = "cart_token"
CHECKOUT_CHOICES = ("email", "address", "service_id", "policy")
OPTIONAL_CHOICES = ("discount_code",)


@dataclass(frozen=True)
class CartLineView:
    line: CartLine
    variant: Variant
    quantity: int
    unit_price: int
    total: int
    availability: Availability


@dataclass(frozen=True)
class CartSummary:
    lines: list[CartLineView]
    subtotal: int
    item_count: int
    currency: str

    @property
    def has_backorders(self) -> bool:
        return any(v.availability.backordered for v in self.lines)


def _load_options():
    # Lines in one query with everything a line needs joined in (all many-to-one).
    variant = selectinload(Cart.lines).joinedload(CartLine.variant)
    return (
        variant.joinedload(Variant.product),
        variant.joinedload(Variant.tax_class),
        variant.joinedload(Variant.stock).joinedload(StockLevel.supplier),
    )


def _cart(cart_id: int | None) -> Cart | None:
    if cart_id is None:
        return None
    return db.session.scalar(sa.select(Cart).where(Cart.id == cart_id).options(*_load_options()))


def current_cart(user, *, create: bool = False) -> Cart | None:
    """The customer's cart, or the guest cart named in the session."""
    if user is not None and user.is_authenticated:
        cart_id = db.session.scalar(sa.select(Cart.id).where(Cart.user_id == user.id))
        cart = _cart(cart_id)
        if cart is None and create:
            cart = Cart(user_id=user.id)
            db.session.add(cart)
            db.session.flush()
        return cart
    cart = _guest_cart(session.get(SESSION_KEY))
    if cart is None and create:
        cart = Cart()
        db.session.add(cart)
        db.session.flush()
        session[SESSION_KEY] = cart.token
    return cart


def _guest_cart(token: str | None) -> Cart | None:
    """The guest cart with this token; a customer's cart is never reached by a token."""
    if not isinstance(token, str) or not token:
        return None
    query = sa.select(Cart).where(Cart.token == token, Cart.user_id.is_(None))
    return db.session.scalar(query.options(*_load_options()))


def check_quantity(quantity) -> int:
    maximum = current_app.config["MAX_LINE_QUANTITY"]
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise CartError("Enter a whole number.", field="quantity")
    if quantity < 1 or quantity > maximum:
        raise CartError(f"Enter a quantity from 1 to {maximum}.", field="quantity")
    return quantity


def _sellable_variant(variant_id) -> Variant:
    variant = db.session.get(Variant, variant_id) if isinstance(variant_id, int) else None
    if variant is None or not variant.is_sellable:
        raise CartError("That product is not available.", field="variant_id")
    return variant


def _check_orderable(variant: Variant, quantity: int) -> None:
    answer = availability(variant, quantity)
    if not answer.can_order:
        if answer.on_hand_free:
            raise CartError(f"Only {answer.on_hand_free} of {variant.full_name} left.", "quantity")
        raise CartError(f"{variant.full_name} is out of stock.", field="quantity")


def add_to_cart(*, user, variant_id, quantity) -> CartLine:
    """Add a quantity of a variant; adding it again raises the line's quantity."""
    quantity = check_quantity(quantity)
    variant = _sellable_variant(variant_id)
    cart = current_cart(user)
    line = next((ln for ln in cart.lines if ln.variant_id == variant.id), None) if cart else None
    new_quantity = quantity + (line.quantity if line else 0)
    maximum = current_app.config["MAX_LINE_QUANTITY"]
    if new_quantity > maximum:
        raise CartError(f"At most {maximum} of one item per order.", field="quantity")
    _check_orderable(variant, new_quantity)
    if cart is None:  # made only once the line is sure to go in
        cart = current_cart(user, create=True)
    if line is None:
        line = CartLine(cart=cart, variant=variant, quantity=new_quantity)
        db.session.add(line)
    else:
        line.quantity = new_quantity
    cart.updated_at = utcnow()  # touched: housekeeping keeps a cart in use
    db.session.flush()
    return line


def _own_line(user, line_id) -> CartLine:
    cart = current_cart(user)
    line = next((ln for ln in cart.lines if ln.id == line_id), None) if cart else None
    if line is None:
        raise CartError("That line is no longer in your cart.")
    return line


def update_line(*, user, line_id, quantity) -> CartLine:
    quantity = check_quantity(quantity)
    line = _own_line(user, line_id)
    _check_orderable(line.variant, quantity)
    line.quantity = quantity
    line.cart.updated_at = utcnow()
    db.session.flush()
    return line


def remove_line(*, user, line_id) -> None:
    line = _own_line(user, line_id)
    line.cart.updated_at = utcnow()
    line.cart.lines.remove(line)
    db.session.flush()


def merge_guest_cart(*, user) -> None:
    """At login: move the guest cart's lines into the customer's cart."""
    guest = _guest_cart(session.pop(SESSION_KEY, None))
    if guest is None or not guest.lines:
        if guest is not None:
            db.session.delete(guest)
        return
    cart = current_cart(user, create=True)
    maximum = current_app.config["MAX_LINE_QUANTITY"]
    by_variant = {line.variant_id: line for line in cart.lines}
    for guest_line in guest.lines:
        line = by_variant.get(guest_line.variant_id)
        if line is None:
            cart.lines.append(
                CartLine(variant_id=guest_line.variant_id, quantity=guest_line.quantity)
            )
        else:
            line.quantity = min(line.quantity + guest_line.quantity, maximum)
    if guest.checkout is not None and cart.checkout is None:  # the checkout goes on
        save_checkout_choices(cart=cart, **checkout_choices(guest))
    db.session.delete(guest)
    db.session.flush()


def token_digest(token: str) -> str:
    """What an order keeps of the cart it came from: not the token itself, which is what
    a guest's session holds to reach its cart."""
    return hashlib.sha256(token.encode()).hexdigest()


def lock_for_checkout(cart: Cart) -> bool:
    """Hold the cart while this checkout post runs; False when it is gone meanwhile (its
    order was placed by another post a moment ago: a double click, another tab)."""
    return locks.lock_cart(cart.id) is not None


def checkout_choices(cart: Cart | None) -> dict:
    """What this cart's checkout has chosen so far (email, address, service_id, policy)."""
    state = cart.checkout if cart is not None else None
    if state is None:
        return {}
    chosen = {name: getattr(state, name) for name in CHECKOUT_CHOICES}
    return {name: value for name, value in chosen.items() if value is not None}


def save_checkout_choices(*, cart: Cart, **choices) -> None:
    """Keep checkout choices on the server, beside the cart (it goes when the cart goes)."""
    unknown = set(choices) - set(CHECKOUT_CHOICES) - set(OPTIONAL_CHOICES)
    if unknown:
        raise ValueError(f"not a checkout choice: {', '.join(sorted(unknown))}")
    if cart.checkout is None:
        cart.checkout = CheckoutState()
    for name, value in choices.items():
        setattr(cart.checkout, name, value)
    db.session.flush()


def summarise(cart: Cart | None) -> CartSummary:
    """Lines with today's prices and availability, and the subtotal, from the catalogue."""
    currency = current_app.config["BASE_CURRENCY"]
    if cart is None:
        return CartSummary([], 0, 0, currency)
    views = []
    # Goods on order for every short line come in one go, not one query per line.
    answers = availabilities([(line.variant, line.quantity) for line in cart.lines])
    for line, answer in zip(cart.lines, answers, strict=True):
        variant = line.variant
        views.append(
            CartLineView(
                line=line,
                variant=variant,
                quantity=line.quantity,
                unit_price=variant.price,
                total=variant.price * line.quantity,
                availability=answer,
            )
        )
    subtotal = sum(v.total for v in views)
    return CartSummary(views, subtotal, sum(v.quantity for v in views), currency)


def item_count(user) -> int:
    """For the header: how many items are in the current cart (one small query)."""
    if user is not None and user.is_authenticated:
        where = Cart.user_id == user.id
    elif isinstance(session.get(SESSION_KEY), str):
        where = sa.and_(Cart.token == session[SESSION_KEY], Cart.user_id.is_(None))
    else:
        return 0
    query = sa.select(sa.func.coalesce(sa.func.sum(CartLine.quantity), 0)).join(Cart).where(where)
    return db.session.scalar(query)


def add_items(*, user, items) -> tuple[list[str], list[str]]:
    """Put several items into the cart at today's prices ("Buy again" on an order).

    items: (variant_id, quantity, name) each. An item that is no longer sold, or sold
    out (or short) and not backorderable, is skipped: nothing of it goes in. Returns
    the names added and the names skipped, each with why.
    """
    added, skipped = [], []
    for variant_id, quantity, name in items:
        maximum = current_app.config["MAX_LINE_QUANTITY"]
        try:
            add_to_cart(user=user, variant_id=variant_id, quantity=min(quantity, maximum))
        except CartError as err:
            if err.field == "variant_id":
                why = "no longer sold"
            elif "out of stock" in err.message:
                why = "sold out"
            else:  # e.g. "Only 2 of Camp Stove left."
                why = err.message.rstrip(".").lower()
            skipped.append(f"{name} ({why})")
        else:
            added.append(name)
    return added, skipped
