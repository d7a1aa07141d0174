"""After the sale, for the customer: track an order without an account, download its
invoice and credit notes, buy it again, cancel it or its backordered rest.

The order page itself is checkout.order_status (/orders/<number>); every route here
reaches an order the same way it does (the customer's own, one opened in this
browser, or the link's token ?t=...); any other order is not found (404).
"""

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
from flask_login import current_user

from shop.after_sale import cancellations
from shop.after_sale import services as after_sale
from shop.billing import files as invoice_files
from shop.cart import services as carts
from shop.extensions import db, limiter
from shop.refunds import services as refunds
from shop.storefront.forms import EmptyForm, TrackOrderForm
from shop.storefront.helpers import (
    ORDERS,
    TRACKED,
    money,
    order_link,
    visible_order,
)
from shop.views import file_response, service_call

bp = Blueprint("orders", __name__)

READ_ONLY = (
    "To cancel, return or download the invoice, open the order from its email, or track it "
    "with the email address it was placed with."
)

NOT_FOUND = (
    "We could not find an order with that number and that email or postal code. "
    "Please check both and try again."
)


def _tracking_limit() -> str:
    return current_app.config["TRACKING_RATE_LIMIT"]


def _tracking_number_limit() -> str:
    return current_app.config["TRACKING_NUMBER_RATE_LIMIT"]


def _number_typed() -> str:
    """Failed attempts are also counted per order number, whichever addresses they come
    from: guessing one order's postal code from many machines is stopped too."""
    return "number:" + (request.form.get("number") or "").strip().upper()[:40]


def _not_found(response) -> bool:
    return response.status_code == 404


def _back(order):
    """Back to the order page, keeping the link's token if the visitor came with one."""
    return redirect(_back_url(order), code=303)


def _back_url(order) -> str:
    return order_link(order) if request.args.get("t") else _page(order)


def _page(order) -> str:
    return url_for("checkout.order_status", number=order.number)


# --- Track your order ---------------------------------------------------------------


@bp.route("/orders/track", methods=["GET", "POST"])
@limiter.limit(_tracking_limit, methods=["POST"])
@limiter.limit(
    _tracking_number_limit, methods=["POST"], key_func=_number_typed, deduct_when=_not_found
)
def track():
    form = TrackOrderForm()
    if form.validate_on_submit():
        order = after_sale.find_order(
            number=form.number.data, email_or_postal_code=form.contact.data
        )
        if order is None:
            flash(NOT_FOUND, "error")
            return render_template("shop/orders/track.html", form=form), 404
        # With the email, this browser may open the order from now on as the one it was
        # placed in; with the postal code (printed on the parcel) only read it.
        by_email = after_sale.found_by_email(order, form.contact.data)
        key = ORDERS if by_email else TRACKED
        session[key] = [*session.get(key, [])[-19:], order.id]
        if not by_email:
            flash(READ_ONLY, "info")
        return redirect(_page(order), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("shop/orders/track.html", form=form), status


# --- documents ----------------------------------------------------------------------


def _document(number: str, document: str):
    order = visible_order(number)
    invoice = after_sale.document_of_order(order, document)
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/orders/<number>/documents/<document>.pdf")
def document_pdf(number: str, document: str):
    invoice = _document(number, document)
    return file_response(
        invoice_files.invoice_pdf(invoice), f"{invoice.number}.pdf", invoice_files.PDF
    )


@bp.get("/orders/<number>/documents/<document>.xml")
def document_xml(number: str, document: str):
    invoice = _document(number, document)
    return file_response(
        invoice_files.invoice_xml(invoice), f"{invoice.number}.xml", invoice_files.XML
    )


# --- buy again --------------------------------------------------------------------


@bp.post("/orders/<number>/buy-again")
def buy_again(number: str):
    order = visible_order(number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    items = [(line.variant_id, line.quantity, line.name) for line in order.lines]
    added, skipped = carts.add_items(user=current_user, items=items)
    db.session.commit()
    if added:
        flash(f"Added to your cart at today's prices: {', '.join(added)}.", "success")
    if skipped:
        flash(f"Not added, no longer available: {'; '.join(skipped)}.", "error")
    return redirect(url_for("cart.show"), code=303)


# --- cancelling -------------------------------------------------------------------


def _cancel(number: str, use_case, done_message: str):
    """Run one cancellation use case for this order, commit, then ask the provider for the
    money (refunds.send_refunds, after the commit); back to the order page with a message."""
    order = visible_order(number)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with service_call() as call:
        done = use_case(order=order, user=current_user)
    if not call.ok:
        return _back(order)
    refunds.send_refunds(done.refund_ids)
    message = done_message.format(number=order.number)
    if done.refund is not None:
        message += f" {money(done.refund.amount, order.currency)} is on its way back to you."
    flash(message, "success")
    return _back(order)


@bp.get("/orders/<number>/cancel")
def confirm_cancel(number: str):
    """Asked first: a tap on a phone should not cancel an order by itself."""
    return _confirm(number, whole=True)


@bp.get("/orders/<number>/cancel-rest")
def confirm_cancel_rest(number: str):
    return _confirm(number, whole=False)


def _confirm(number: str, *, whole: bool):
    order = visible_order(number)
    allowed = cancellations.customer_may_cancel if whole else cancellations.customer_may_cancel_rest
    if not allowed(order):
        flash("This order can no longer be cancelled here.", "info")
        return _back(order)
    token = request.args.get("t")
    return render_template(
        "shop/orders/cancel.html",
        order=order,
        whole=whole,
        back_to=_back_url(order),
        access={"t": token} if token else {},
        refund=refunds.refundable_amount(order) if whole and order.paid_at else 0,
        form=EmptyForm(),
    )


@bp.post("/orders/<number>/cancel")
def cancel(number: str):
    return _cancel(number, cancellations.cancel_order_by_customer, "Order {number} is cancelled.")


@bp.post("/orders/<number>/cancel-rest")
def cancel_rest(number: str):
    return _cancel(
        number, cancellations.cancel_backordered_rest, "The backordered items are cancelled."
    )
