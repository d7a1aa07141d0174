"""Refunding an order from the back office: items, shipping, a restocking fee or an amount.

Sales staff (who answer customers), the bookkeeper and the owner give money back
here; cancelling an order and receiving a return refund through the same use case.
The provider is asked after the commit; a provider that is down is retried.
"""

from flask import current_app, flash, redirect, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.order_refunds import refund_form
from backoffice.orders import _order_or_404
from backoffice.views import form_page, service_call
from shop.accounts import roles
from shop.errors import DomainError
from shop.money import format_money
from shop.refunds import services as refunds
from shop.refunds import status as st

REFUNDERS = (roles.SALES, roles.BOOKKEEPER)


def _refunded_units(order) -> dict[int, int]:
    return {line.id: refunds.refunded_units(line) for line in order.lines}


@bp.route("/orders/<number>/refund", methods=["GET", "POST"])
@allow(*REFUNDERS)
def order_refund(number: str):
    order = _order_or_404(number)
    form = refund_form(order, _refunded_units(order))
    if form.validate_on_submit():
        with service_call(form) as call:
            refund = _decide(order, form)
        if call.ok:
            outcome = refunds.send_refunds([refund.id])[0]
            money = format_money(refund.amount, order.currency, current_app.config["LOCALE"])
            flash(_message(order, refund, money, outcome), "success")
            return redirect(url_for("backoffice.order", number=order.number))
        order = _order_or_404(number)
    return _page(order, form)


def _decide(order, form):
    note = (form.note.data or "").strip()
    amount = form.amount_minor()
    if amount is not None:
        if form.units() or form.shipping.data:
            raise DomainError("Refund either items and shipping, or an amount: not both.")
        return refunds.refund_amount(
            order=order, amount=amount, reason=st.GOODWILL, note=note, user=current_user
        )
    return refunds.refund_order(
        order=order, lines=form.units(), shipping=form.shipping.data,
        restocking_fee_percent=form.fee_percent(), reason=st.ITEMS, note=note,
        user=current_user,
    )  # fmt: skip


def _message(order, refund, money: str, outcome: str) -> str:
    number = refund.credit_note.number
    if outcome == "refund succeeded":
        return f"{money} refunded on order {order.number}; credit note {number} emailed."
    return (
        f"{money} to refund on order {order.number} (credit note {number}); the payment "
        f"provider has not confirmed it yet: {outcome}."
    )


def _page(order, form):
    return form_page(
        "backoffice/order_refund.html",
        order=order,
        form=form,
        refunds=refunds.refunds_of(order),
        left=refunds.refundable_amount(order) if order.paid_at else 0,
    )
