"""Orders in the back office: the list with its filters, one order in full, cancelling.

Warehouse, sales and bookkeeping staff (and the owner) read orders: the
warehouse to see what is allocated or waiting on stock, sales to answer
customers, the bookkeeper to check payments and taxes. Sales staff and the
owner may cancel an order that has shipped nothing.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.orders import CancelOrderForm, OrderFilterForm
from backoffice.views import form_page, found_page, page_number, service_call
from shop.accounts import roles
from shop.after_sale import cancellations
from shop.formatting import money
from shop.orders import queries, services
from shop.refunds import services as refunds

VIEWERS = (roles.WAREHOUSE, roles.SALES, roles.BOOKKEEPER)
CANCELLERS = (roles.SALES,)
MAX_NUMBER = 20  # the longest order number the column holds


def _order_or_404(number: str):
    order = queries.admin_order(number) if len(number) <= MAX_NUMBER else None
    if order is None:
        abort(404)
    return order


@bp.get("/orders")
@allow(*VIEWERS)
def orders():
    filters = OrderFilterForm(request.args)
    filters.validate()
    return render_template(
        "backoffice/orders.html",
        filters=filters,
        pagination=found_page(queries.admin_orders(**filters.filters(), page=page_number())),
    )


@bp.get("/orders/<number>")
@allow(*VIEWERS)
def order(number: str):
    found = _order_or_404(number)
    return render_template(
        "backoffice/order.html",
        order=found,
        cancel_form=CancelOrderForm(),
        cancellable=found.status in services.CANCELLABLE,
    )


@bp.post("/orders/<number>/cancel")
@allow(*CANCELLERS)
def order_cancel(number: str):
    found = _order_or_404(number)
    form = CancelOrderForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            done = cancellations.cancel_order_by_staff(
                order=found, user=current_user, reason=form.reason.data or ""
            )
        if call.ok:
            refunds.send_refunds(done.refund_ids)
            message = f"Order {found.number} cancelled; its stock allocation is released."
            if done.refund is not None:
                message += (
                    f" {money(done.refund.amount, found.currency)} is refunded through "
                    f"{found.payment_provider} (credit note {done.refund.credit_note.number}); "
                    "the customer is emailed."
                )
            flash(message, "success")
            return redirect(url_for("backoffice.order", number=found.number))
    found = _order_or_404(number)  # as it is now, after the refused change was undone
    return form_page(
        "backoffice/order.html",
        order=found,
        cancel_form=form,
        cancellable=found.status in services.CANCELLABLE,
    )
