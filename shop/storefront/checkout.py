"""Checkout: one page (address, delivery service and policy, review) -> pay -> confirmation.

Every post of the page is checked on the server, and what passes is kept on the
server beside the cart (the session cookie is only signed, so it never holds a name,
an address or an email). Amounts are always computed by the server from the cart and
the catalogue; the page works without JavaScript ("Update prices" posts it).
"""

import dataclasses
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, user_logged_out

from shop.accounting import agents
from shop.accounts.models import ADDRESS_FIELDS
from shop.after_sale import services as after_sale
from shop.cart import services as carts
from shop.db import utcnow
from shop.discounts import services as discounts
from shop.discounts.errors import DiscountError
from shop.errors import DomainError
from shop.extensions import db
from shop.links import public_url
from shop.orders import pricing
from shop.orders import services as orders
from shop.orders import status as st
from shop.orders.errors import AddressProblem, CheckoutChanged
from shop.orders.models import POLICY_LABELS
from shop.payments import demo, providers, stripe_gateway
from shop.storefront.forms import (
    DeliveryForm,
    DemoCardForm,
    EmptyForm,
    OnePageCheckoutForm,
    PlaceOrderForm,
)
from shop.storefront.helpers import (
    ORDERS,
    full_stop,
    local_datetime,
    may_act_on,
    order_link,
    visible_order,
)

bp = Blueprint("checkout", __name__)

SHIPPABLE_COUNTRIES = {"CA"}
CODE_LENGTH = 40  # the longest code there is (the discounts' code column)
REPRICE = "reprice"  # the header store.js sends with a background "Update prices"


def _forget_orders(_app, **_kw) -> None:
    """At logout this browser stops opening the orders placed in it (their link still does)."""
    session.pop(ORDERS, None)


bp.record_once(lambda setup: user_logged_out.connect(_forget_orders, setup.app))


def _save_state(cart, **changes) -> None:
    carts.save_checkout_choices(cart=cart, **changes)
    db.session.commit()


def _cart_or_redirect():
    cart = carts.current_cart(current_user)
    if cart is None or not cart.lines:
        flash("Your cart is empty.", "info")
        return None, redirect(url_for("cart.show"))
    return cart, None


def _checkout_request(cart) -> orders.CheckoutRequest | None:
    state = carts.checkout_choices(cart)
    if not set(carts.CHECKOUT_CHOICES) <= state.keys():
        return None
    return orders.CheckoutRequest(
        state["email"],
        state["address"],
        state["service_id"],
        state["policy"],
        referral_code=session.get(agents.SESSION_KEY),
        discount_code=cart.checkout.discount_code,
    )


@dataclasses.dataclass
class OnePage:
    """What the one-page checkout shows below the address, all decided by the server."""

    summary: carts.CartSummary
    checkout: orders.CheckoutRequest | None = None  # the address and choice the figures are for
    options: dict = dataclasses.field(default_factory=dict)  # policy -> quotes
    priced: pricing.Pricing | None = None
    reviewed: str = ""
    problem: str = ""  # why no delivery choice can be shown (no address yet, not shipped there)


@bp.route("/checkout/", methods=["GET", "POST"])
def address():
    """The one-page checkout: address, delivery choice, review and "Place order and pay".

    Without JavaScript, "Update prices" posts the page and shows it again with the new
    figures; "Place order and pay" checks everything again, re-prices and places.
    """
    if request.method == "POST":
        cart = carts.current_cart(current_user)
        if cart is None or not cart.lines or not carts.lock_for_checkout(cart):
            return _placed_a_moment_ago(cart)
        return _one_page_post(cart, _one_page_form(cart))
    cart, back = _cart_or_redirect()
    if back:
        return back
    form = _one_page_form(cart)
    summary = carts.summarise(cart)
    short = _short_line(summary)
    if short is not None:
        return short
    return _render_one_page(form, _saved_one_page(cart, summary))


def _saved_one_page(cart, summary) -> OnePage:
    """The page for what this checkout saved so far (or the customer's default address)."""
    state = carts.checkout_choices(cart)
    known = state.get("address") or _default_address()
    email = state.get("email") or (current_user.email if current_user.is_authenticated else "")
    return _one_page_view(cart, summary, known, email, state.get("service_id"), state.get("policy"))


def _one_page_form(cart) -> OnePageCheckoutForm:
    form = OnePageCheckoutForm(data=_address_defaults(cart))
    saved = current_user.addresses if current_user.is_authenticated else []
    form.saved_address.choices = [(0, "A new address")] + [
        (a.id, ", ".join(a.lines()[:4])) for a in saved
    ]
    return form


def _address_defaults(cart) -> dict:
    state = carts.checkout_choices(cart)
    defaults = dict(state.get("address") or _default_address() or {})
    defaults["email"] = state.get("email") or (
        current_user.email if current_user.is_authenticated else ""
    )
    return defaults


def _default_address() -> dict | None:
    """A signed-in customer's default (or only) saved address, to start from."""
    if not current_user.is_authenticated or not current_user.addresses:
        return None
    chosen = next((a for a in current_user.addresses if a.is_default), current_user.addresses[0])
    return _address_dict(chosen)


def _address_dict(saved) -> dict:
    return {name: getattr(saved, name) for name in ADDRESS_FIELDS}


def _short_line(summary):
    """Back to the cart when a line sold out since it went in, and is not backorderable."""
    short = next((line for line in summary.lines if not line.availability.can_order), None)
    if short is None:
        return None
    flash(
        f"Only {short.availability.on_hand_free} of {short.variant.full_name} left; "
        "please change the quantity in your cart.",
        "error",
    )
    return _leave_checkout(url_for("cart.show"), code=302)


def _one_page_view(cart, summary, address, email, service_id, policy) -> OnePage:
    """The delivery options and the review figures for this address and choice (the first
    service offered when none is chosen yet, or the chosen one is no longer offered)."""
    page = OnePage(summary)
    if not address:
        page.problem = "Enter your address to see the delivery choices and the total."
        return page
    try:
        orders.check_address(address)
    except AddressProblem as err:  # e.g. a saved address from before postal codes were checked
        page.problem = err.message
        return page
    page.checkout = orders.CheckoutRequest(
        email,
        address,
        service_id,
        policy,
        referral_code=session.get(agents.SESSION_KEY),
        discount_code=cart.checkout.discount_code if cart.checkout else None,
    )
    offer = orders.offer_if_it_applies(summary, page.checkout)
    page.options = _delivery_options(summary, address, offer)
    if not any(page.options.values()):
        page.problem = "We do not ship to that address yet. Please choose another address."
        page.checkout = None
        return page
    if policy not in page.options:
        policy = next(p for p, quotes in page.options.items() if quotes)
    offered = [s.id for s in _services_in({policy: page.options[policy]})]
    if service_id not in offered:
        service_id = offered[0]
    page.checkout = dataclasses.replace(page.checkout, service_id=service_id, policy=policy)
    try:
        page.priced, page.checkout = _price_with_code(cart, summary, page.checkout)
    except DomainError as err:  # e.g. an item no longer sold
        page.problem, page.checkout = err.message, None
        return page
    page.reviewed = orders.review_fingerprint(
        cart=cart, request=page.checkout, priced=page.priced, summary=summary
    )
    return page


def _delivery_options(summary, address: dict, offer=None) -> dict:
    """Each policy's quotes; with a code's `offer`, a service free over a threshold counts
    the goods after the code (which services are offered does not depend on it)."""
    destination = pricing.Destination(
        address["country"], address["province"], address["postal_code"]
    )
    return {
        policy: pricing.quotes_for(summary, destination, policy, offer)
        for policy in pricing.policies_for(summary)
    }


def _render_one_page(form, page: OnePage, status: int = 200):
    form.reviewed.data = page.reviewed
    if page.checkout is not None:
        form.service.data = str(page.checkout.service_id)
        form.policy.data = page.checkout.policy
    return render_template(
        "shop/checkout/one_page.html",
        form=form,
        page=page,
        summary=page.summary,
        priced=page.priced,
        options=page.options,
        services=_services_in(page.options),
        policy_labels=POLICY_LABELS,
        demo_mode=providers.demo_mode(),
        typed_code=request.form.get("code", "") if request.method == "POST" else "",
        code_length=CODE_LENGTH,
        step="checkout",
    ), status


def _one_page_post(cart, form):
    """Check the address and the choice as posted; save them only when all is well, then
    show the page again ("Update prices") or place the order ("Place order and pay")."""
    action = request.form.get("action", "update")
    placing = action == "place"
    summary = carts.summarise(cart)
    short = _short_line(summary)
    if short is not None:
        return short
    posted = _posted_address(form)
    if posted is None:
        page = OnePage(summary, problem="Correct the address above to see the delivery choices.")
        return _render_one_page(form, page, 422)
    email, address = posted
    service, policy = request.form.get("service", ""), request.form.get("policy", "")
    options = _delivery_options(summary, address)
    error = None
    if not any(options.values()):
        error = "We do not ship to that address yet. Please choose another address."
    elif service or policy or placing:
        error = _check_delivery_choice(service, policy, options)
    if error is not None:
        flash(error, "error")
        page = _one_page_view(cart, summary, address, email, _int_or_none(service), policy)
        return _render_one_page(form, page, 422)
    choice = {"service_id": int(service), "policy": policy} if service else {}
    carts.save_checkout_choices(cart=cart, email=email, address=address, **choice)
    if request.headers.get("X-Requested-With") == REPRICE and not placing:
        # store.js re-pricing in the background: the page itself, without a redirect. It
        # is drawn before the commit, while the cart and the rate tables read are fresh.
        page = _render_one_page(_one_page_form(cart), _saved_one_page(cart, summary))
        db.session.commit()
        return page
    if action == "remove_code":
        return _remove_code(cart)
    typed = discounts.normalise(request.form.get("code"))
    if typed and (cart.checkout is None or typed != cart.checkout.discount_code):
        return _apply_code(cart, summary, typed, placing)  # "Apply", Enter, or not applied
    if placing:  # in the same transaction: the cart and the rate tables are read once
        return _place(cart, _checkout_request(cart), form.reviewed.data or "")
    db.session.commit()
    return redirect(url_for("checkout.address"), code=303)


def _posted_address(form) -> tuple[str, dict] | None:
    """The (email, address) posted, checked; None with the errors beside their fields."""
    valid = form.validate()
    chosen_id = form.saved_address.data if current_user.is_authenticated else 0
    if chosen_id:  # a saved address: the new-address fields do not count
        chosen = next((a for a in current_user.addresses if a.id == chosen_id), None)
        if chosen is None:
            abort(404)
        address = _address_dict(chosen)
        try:
            orders.check_address(address)
        except AddressProblem as err:
            form.saved_address.errors = [err.message]
            return None
        return current_user.email, address
    if not valid:
        return None
    data = form.data_for_service()
    for name in ("email", "saved_address", "service", "policy", "reviewed"):
        data.pop(name, None)
    return form.email.data.strip().lower(), data


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@bp.route("/checkout/delivery", methods=["GET", "POST"])
def delivery():
    """The former delivery step. Its page is now part of the one page; a posted choice
    (an older tab, a bookmarked form) is still checked and saved."""
    cart, back = _cart_or_redirect()
    if back:
        return back
    if request.method == "GET":
        return redirect(url_for("checkout.address"))
    state = carts.checkout_choices(cart)
    if "address" not in state:
        flash("Please enter your shipping address first.", "info")
        return redirect(url_for("checkout.address"))
    summary = carts.summarise(cart)
    short = _short_line(summary)
    if short is not None:
        return short
    form = DeliveryForm()
    if form.validate_on_submit():
        options = _delivery_options(summary, state["address"])
        error = _check_delivery_choice(form.service.data, form.policy.data, options)
        if error is None:
            _save_state(cart, service_id=int(form.service.data), policy=form.policy.data)
        else:
            flash(error, "error")
    return redirect(url_for("checkout.address"))


def _services_in(options: dict) -> list:
    seen = {}
    for quotes in options.values():
        for quote in quotes:
            seen.setdefault(quote.service.id, quote.service)
    return sorted(seen.values(), key=lambda s: s.position)


def _check_delivery_choice(service: str, policy: str, options: dict) -> str | None:
    if policy not in options:
        return "Please choose when to ship."
    service_ids = {str(q.service.id) for q in options[policy]}
    if service not in service_ids:
        return "Please choose one of the shipping services shown."
    return None


@bp.route("/checkout/review", methods=["GET", "POST"])
def review():
    """The former review step: its figures are on the one page now. Placing from a posted
    fingerprint (an older tab) still works, for the address and choice saved."""
    cart, back = _cart_or_redirect()
    if back:
        return back
    if request.method == "GET":
        return redirect(url_for("checkout.address"))
    checkout = _checkout_request(cart)
    if checkout is None:
        flash("Please choose how to ship your order first.", "info")
        return redirect(url_for("checkout.address"))
    form = PlaceOrderForm()
    if not form.validate_on_submit():
        return redirect(url_for("checkout.address"))
    return _place(cart, checkout, form.reviewed.data)


def _price_with_code(cart, summary, checkout):
    """The figures and the request they are for. A code that no longer applies (used up,
    over, the cart changed) is taken off the checkout with its reason, and the order
    priced without it."""
    try:
        return orders.price_summary(summary, checkout), checkout
    except DiscountError as err:
        flash(err.message, "error")
        if cart.checkout is not None:
            _save_state(cart, discount_code=None)
        without = dataclasses.replace(checkout, discount_code=None)
        return orders.price_summary(summary, without), without


def _apply_code(cart, summary, code: str, placing: bool):
    """The code typed with the address just saved: checked against this cart, priced with
    that address, kept when it applies. Either way the page is shown again, so the customer
    sees the new total before placing (also after "Place order" with a code not applied)."""
    page = _saved_one_page(cart, summary)
    if len(code) > CODE_LENGTH:
        flash(f"A code has at most {CODE_LENGTH} characters.", "error")
    elif page.checkout is None:
        flash(page.problem or "Please enter your shipping address first.", "info")
    else:
        trying = db.session.begin_nested()  # a refused code undoes its own reads only
        try:
            orders.price_summary(summary, dataclasses.replace(page.checkout, discount_code=code))
        except DomainError as err:
            trying.rollback()
            flash(err.message, "error")
        else:
            trying.commit()
            _save_state(cart, discount_code=code)
            then = " Check the new total, then place your order." if placing else ""
            flash(f"Discount code {code} applied.{then}", "success")
    db.session.commit()
    return redirect(url_for("checkout.address"), code=303)


def _remove_code(cart):
    _save_state(cart, discount_code=None)
    flash("Discount code removed.", "info")
    db.session.commit()
    return redirect(url_for("checkout.address"), code=303)


def _place(cart, checkout, reviewed: str):
    """Place the order; when it cannot be, only placing is undone (a savepoint), so the
    address and the choice just posted are kept for the page that says why."""
    placing = db.session.begin_nested()
    try:
        provider = providers.provider_name()
        order = orders.place_order(
            cart=cart, user=current_user, request=checkout, reviewed=reviewed, provider=provider
        )
        settled = orders.settle_if_nothing_due(order)
        if provider == demo.NAME and not settled:
            demo.start_payment(order)
        placing.commit()
    except (AddressProblem, CheckoutChanged, DiscountError) as err:
        return _not_placed(placing, err, url_for("checkout.address"))
    except DomainError as err:
        return _not_placed(placing, err, url_for("cart.show"))
    number, order_id, to_order = order.number, order.id, order_link(order)
    db.session.commit()
    _remember_placed(order_id)
    if settled:
        flash(f"Thank you: order {number} is placed, with nothing to pay.", "success")
        return redirect(to_order, code=303)
    if provider == demo.NAME:
        return redirect(url_for("checkout.pay", number=number), code=303)
    return _to_stripe(order)


def _placed_a_moment_ago(cart):
    """A checkout post whose cart is gone: its order was placed by the other click of a
    double click (or another tab), whose answer the browser may never show. Lead to that
    order, so a guest does not lose it; with no such order the cart is simply empty."""
    token = cart.token if cart is not None else session.get(carts.SESSION_KEY)
    order = orders.order_placed_from_cart(
        token=token, user=current_user, session_orders=session.get(ORDERS)
    )
    if order is None:
        flash("Your cart is empty.", "info")
        return _leave_checkout(url_for("cart.show"))
    _remember_placed(order.id)
    if order.status in st.PAYABLE:
        flash(f"Your order {order.number} was placed once and waits for payment.", "info")
        return _leave_checkout(url_for("checkout.pay", number=order.number))
    flash(f"Your order {order.number} was placed once.", "info")
    return _leave_checkout(order_link(order))


def _leave_checkout(location: str, code: int = 303):
    """Off the checkout page. store.js's background re-price is told where to go instead
    of being redirected: a redirect followed by fetch would show, and so use up, the
    message that says why, and the tab would still stand on the old page."""
    if request.headers.get("X-Requested-With") == REPRICE:
        return "", 204, {"X-Location": location}
    return redirect(location, code=code)


def _remember_placed(order_id: int) -> None:
    """This browser opens the order from now on; its cart is gone (and a stale id could
    name the next guest's cart: SQLite reuses ids)."""
    session.pop(carts.SESSION_KEY, None)
    session[ORDERS] = [*session.get(ORDERS, [])[-19:], order_id]


def _not_placed(placing, err: DomainError, back_to: str):
    placing.rollback()
    db.session.commit()  # what the customer just posted, without the order
    flash(err.message, "error")
    return redirect(back_to)


def _to_stripe(order):
    """Send the customer to Stripe's payment page.

    The order is already committed: the network call to Stripe never runs while
    stock rows (or SQLite's write lock) are held. If Stripe cannot be reached, the
    order stays reserved and "Pay now" tries again with the same idempotency key.
    """
    try:
        url = stripe_gateway.checkout_url_for(
            order,
            success_url=order_link(order, build=public_url),
            cancel_url=public_url("checkout.pay", number=order.number),
        )
    except DomainError as err:
        db.session.rollback()
        flash(
            f"{err.message} Your order {order.number} is saved and its items are reserved "
            f"until {full_stop(local_datetime(order.expires_at))}",
            "error",
        )
        return redirect(order_link(order))
    db.session.commit()
    return redirect(url, code=303)


@bp.route("/checkout/pay/<number>", methods=["GET", "POST"])
def pay(number: str):
    order = visible_order(number)
    if order.status not in st.PAYABLE:
        return redirect(order_link(order))
    if order.payment_provider != demo.NAME:
        return _to_stripe(order)
    form = DemoCardForm()
    if form.validate_on_submit():
        try:
            card = demo.charge(order=order, card_number=form.card_number.data)
        except demo.DemoCardError as err:
            form.card_number.errors = [str(err)]
        except DomainError as err:  # e.g. sold out since the payment failed: nothing charged
            db.session.rollback()
            flash(err.message, "error")
            return redirect(url_for("checkout.pay", number=order.number))
        else:
            declined, to_order = order.status in st.PAYABLE, order_link(order)
            db.session.commit()  # (what the answer needs is read before: nothing read again)
            if declined:
                flash(f"Payment declined: {card.description}. Try another card.", "error")
                return redirect(url_for("checkout.pay", number=number))
            return redirect(to_order)
    return render_template(
        "shop/checkout/pay_demo.html", order=order, form=form, cards=demo.TEST_CARDS
    )


@bp.get("/orders/<number>")
def order_status(number: str):
    """The order page: shipments and tracking, each line's status, documents, refunds, and
    what the customer may still do (buy again, cancel; shop.storefront.orders)."""
    order = visible_order(number, to_read=True)
    token = request.args.get("t")
    return render_template(
        "shop/checkout/order.html",
        order=order,
        may_act=may_act_on(order),
        view=after_sale.overview(order),
        access={"t": token} if token else {},
        action_form=EmptyForm(),
        returning=token is not None,
        payment_minutes=current_app.config["ORDER_PAYMENT_MINUTES"],
        just_confirmed=_just_confirmed(order),
    )


THANKS_FOR = timedelta(hours=1)


def _just_confirmed(order) -> bool:
    """Paid in the last hour, nothing cancelled since: the page still thanks the customer
    (a week later, or after cancelling the rest, it just says where the order stands)."""
    return (
        order.paid_at is not None
        and utcnow() - order.paid_at < THANKS_FOR
        and not any(line.quantity_cancelled for line in order.lines)
    )
