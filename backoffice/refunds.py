"""Refunds that need staff: failed ones, and pending ones the provider has not answered for
long; each can be sent again now. The decisions are in shop.refunds.retry."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.views import get_or_404, service_call
from shop.accounts import roles
from shop.extensions import db
from shop.forms import EmptyForm
from shop.refunds import retry
from shop.refunds import services as refunds
from shop.refunds import status as refund_status
from shop.refunds.models import Refund

REFUNDERS = (roles.BOOKKEEPER,)  # and the owner


@bp.app_template_global("order_refunds_of")
def order_refunds_of(order) -> list[Refund]:
    """The order's refunds, oldest first, for its back-office page."""
    return list(
        db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
    )


@bp.get("/refunds")
@allow(*REFUNDERS)
def refunds_attention():
    return render_template(
        "backoffice/refunds.html",
        refunds=retry.needing_attention(),
        retry_form=EmptyForm(),
        pending_too_long=retry.PENDING_TOO_LONG,
    )


@bp.post("/refunds/<int:refund_id>/retry")
@allow(*REFUNDERS)
def refund_retry(refund_id: int):
    refund = get_or_404(Refund, refund_id)
    back = request.form.get("back") == "order"
    if EmptyForm().validate_on_submit():
        with service_call() as call:
            retry.retry_now(refund, user=current_user)
        if call.ok:
            refunds.send_refunds([refund.id])  # after the commit: this refund only
            db.session.refresh(refund)
            flash(_told(refund), "success" if refund.status != refund_status.FAILED else "error")
    else:
        flash("The form expired; please try again.", "error")
    if back:
        return redirect(url_for("backoffice.order", number=refund.order.number))
    return redirect(url_for("backoffice.refunds_attention"))


def _told(refund: Refund) -> str:
    what = f"Refund {refund.id} of order {refund.order.number}"
    if refund.status == refund_status.SUCCEEDED:
        return f"{what} was made."
    if refund.status == refund_status.FAILED:
        return f"{what} was refused again: {refund.last_error}"
    if refund.reference:
        return f"{what} was made; the payment provider is still processing it."
    return f"{what} could not be sent yet ({refund.last_error}); it will be tried again."
