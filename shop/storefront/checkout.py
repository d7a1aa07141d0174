"""Checkout: address -> delivery (service and policy) -> review -> pay -> confirmation.

Each step is checked on the server and kept on the server beside the cart (the
session cookie is only signed, so it never holds a name, an address or an email);
a later step redirects back to the first one that is not done. Amounts are always
computed by the server from the cart and the catalogue.
"""

import dataclasses

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
    CheckoutAddressForm,
    DeliveryForm,
    DemoCardForm,
    DiscountCodeForm,
    EmptyForm,
    PlaceOrderForm,
)
from shop.storefront.helpers import (
    ORDERS,
    local_datetime,
    may_act_on,
    order_link,
    visible_order,
)

bp = Blueprint("checkout", __name__)

SHIPPABLE_COUNTRIES = {"CA"}


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


@bp.route("/checkout/", methods=["GET", "POST"])
def address():
    cart, back = _cart_or_redirect()
    if back:
        return back
    form = CheckoutAddressForm(data=_address_defaults(cart))
    saved = current_user.addresses if current_user.is_authenticated else []
    form.saved_address.choices = [(0, "A new address")] + [
        (a.id, ", ".join(a.lines()[:4])) for a in saved
    ]
    if request.method == "POST" and form.saved_address.data:
        return _use_saved_address(form, cart)
    if form.validate_on_submit():
        data = form.data_for_service()
        data.pop("email", None)
        data.pop("saved_address", None)
        data["postal_code"] = data["postal_code"].upper().replace(" ", "")
        data["postal_code"] = f"{data['postal_code'][:3]} {data['postal_code'][3:]}"
        _save_state(cart, email=form.email.data.strip().lower(), address=data)
        return redirect(url_for("checkout.delivery"))
    return render_template("shop/checkout/address.html", form=form, step="address")


def _address_defaults(cart) -> dict:
    state = carts.checkout_choices(cart)
    defaults = dict(state.get("address", {}))
    defaults["email"] = state.get("email") or (
        current_user.email if current_user.is_authenticated else ""
    )
    return defaults


def _use_saved_address(form, cart):
    chosen = next((a for a in current_user.addresses if a.id == form.saved_address.data), None)
    if chosen is None:
        abort(404)
    data = {name: getattr(chosen, name) for name in ADDRESS_FIELDS}
    _save_state(cart, email=current_user.email, address=data)
    return redirect(url_for("checkout.delivery"))


@bp.route("/checkout/delivery", methods=["GET", "POST"])
def delivery():
    cart, back = _cart_or_redirect()
    if back:
        return back
    state = carts.checkout_choices(cart)
    if "address" not in state:
        flash("Please enter your shipping address first.", "info")
        return redirect(url_for("checkout.address"))
    try:
        orders.check_address(state["address"])
    except AddressProblem as err:  # a saved address from before postal codes were checked
        flash(err.message, "error")
        return redirect(url_for("checkout.address"))
    summary = carts.summarise(cart)
    short = next((line for line in summary.lines if not line.availability.can_order), None)
    if short is not None:  # sold out since it went into the cart, and not backorderable
        flash(
            f"Only {short.availability.on_hand_free} of {short.variant.full_name} left; "
            "please change the quantity in your cart.",
            "error",
        )
        return redirect(url_for("cart.show"))
    destination = pricing.Destination(
        state["address"]["country"], state["address"]["province"], state["address"]["postal_code"]
    )
    options = {
        policy: pricing.quotes_for(summary, destination, policy)
        for policy in pricing.policies_for(summary)
    }
    if not any(options.values()):
        flash("We do not ship to that address yet. Please choose another address.", "error")
        return redirect(url_for("checkout.address"))
    form = DeliveryForm(
        data={"service": str(state.get("service_id", "")), "policy": state.get("policy", "")}
    )
    if form.validate_on_submit():
        error = _check_delivery_choice(form, options)
        if error is None:
            _save_state(cart, service_id=int(form.service.data), policy=form.policy.data)
            return redirect(url_for("checkout.review"))
        flash(error, "error")
    return render_template(
        "shop/checkout/delivery.html",
        form=form,
        summary=summary,
        options=options,
        policy_labels=POLICY_LABELS,
        services=_services_in(options),
        step="delivery",
    )


def _services_in(options: dict) -> list:
    seen = {}
    for quotes in options.values():
        for quote in quotes:
            seen.setdefault(quote.service.id, quote.service)
    return sorted(seen.values(), key=lambda s: s.position)


def _check_delivery_choice(form, options: dict) -> str | None:
    if form.policy.data not in options:
        return "Please choose when to ship."
    service_ids = {str(q.service.id) for q in options[form.policy.data]}
    if form.service.data not in service_ids:
        return "Please choose one of the shipping services shown."
    return None


@bp.route("/checkout/review", methods=["GET", "POST"])
def review():
    cart, back = _cart_or_redirect()
    if back:
        return back
    checkout = _checkout_request(cart)
    if checkout is None:
        flash("Please choose how to ship your order first.", "info")
        return redirect(url_for("checkout.delivery"))
    form = PlaceOrderForm()
    if form.validate_on_submit():
        return _place(cart, checkout, form.reviewed.data)
    try:
        priced = _price_with_code(cart, checkout)
    except DomainError as err:
        flash(err.message, "error")
        step = "checkout.address" if isinstance(err, AddressProblem) else "checkout.delivery"
        return redirect(url_for(step))
    form.reviewed.data = orders.review_fingerprint(cart=cart, request=checkout, priced=priced)
    return render_template(
        "shop/checkout/review.html",
        form=form,
        checkout=checkout,
        summary=carts.summarise(cart),
        priced=priced,
        policy_label=POLICY_LABELS[checkout.policy],
        demo_mode=providers.demo_mode(),
        code_form=DiscountCodeForm(formdata=None),
        remove_form=EmptyForm(),
        step="review",
    )


def _price_with_code(cart, checkout):
    """The review's figures. A code that no longer applies (used up, over, the cart
    changed) is taken off the checkout with its reason, and the order priced without it."""
    try:
        return orders.price_checkout(cart=cart, request=checkout)
    except DiscountError as err:
        flash(err.message, "error")
        _save_state(cart, discount_code=None)
        without = dataclasses.replace(checkout, discount_code=None)
        return orders.price_checkout(cart=cart, request=without)


@bp.route("/checkout/discount", methods=["POST"])
def discount_code():
    """Apply the code typed on the review page, after checking it against this cart."""
    cart, back = _cart_or_redirect()
    if back:
        return back
    checkout = _checkout_request(cart)
    if checkout is None:
        return redirect(url_for("checkout.delivery"))
    form = DiscountCodeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for("checkout.review"))
    code = discounts.normalise(form.code.data)
    try:
        orders.price_checkout(cart=cart, request=dataclasses.replace(checkout, discount_code=code))
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("checkout.review"))
    _save_state(cart, discount_code=code)
    flash(f"Discount code {code} applied.", "success")
    return redirect(url_for("checkout.review"))


@bp.route("/checkout/discount/remove", methods=["POST"])
def remove_discount_code():
    cart, back = _cart_or_redirect()
    if back:
        return back
    if EmptyForm().validate_on_submit() and cart.checkout is not None:
        _save_state(cart, discount_code=None)
        flash("Discount code removed.", "info")
    return redirect(url_for("checkout.review"))


def _place(cart, checkout, reviewed: str):
    try:
        provider = providers.provider_name()
        order = orders.place_order(
            cart=cart, user=current_user, request=checkout, reviewed=reviewed, provider=provider
        )
        if provider == demo.NAME:
            demo.start_payment(order)
    except AddressProblem as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("checkout.address"))
    except (CheckoutChanged, DiscountError) as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("checkout.review"))
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("cart.show"))
    db.session.commit()
    # The cart is gone; a stale id could name the next guest's cart (SQLite reuses ids).
    session.pop(carts.SESSION_KEY, None)
    session[ORDERS] = [*session.get(ORDERS, [])[-19:], order.id]
    if provider == demo.NAME:
        return redirect(url_for("checkout.pay", number=order.number), code=303)
    return _to_stripe(order)


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
            f"until {local_datetime(order.expires_at, 'short')}.",
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
            db.session.commit()
            if order.status in st.PAYABLE:
                flash(f"Payment declined: {card.description}. Try another card.", "error")
                return redirect(url_for("checkout.pay", number=order.number))
            return redirect(order_link(order))
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
    )
