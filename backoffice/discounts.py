"""Discount codes: the owner (and sales staff) make them; customers type them at the
review step of checkout."""

from flask import flash, redirect, render_template, url_for

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.discounts import DiscountCodeForm
from backoffice.views import form_page, get_or_404, service_call
from shop.accounts import roles
from shop.discounts import services
from shop.discounts.models import Discount

EDITORS = (roles.SALES,)


@bp.get("/discounts")
@allow(*EDITORS)
def discounts():
    return render_template("backoffice/discounts.html", discounts=services.all_discounts())


@bp.route("/discounts/new", methods=["GET", "POST"])
@bp.route("/discounts/<int:discount_id>", methods=["GET", "POST"])
@allow(*EDITORS)
def discount_edit(discount_id: int | None = None):
    discount = get_or_404(Discount, discount_id) if discount_id is not None else None
    form = DiscountCodeForm(discount=discount)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.save_discount(entered=form.entered(), discount=discount)
        if call.ok:
            flash(f"Discount code {saved.code} saved.", "success")
            return redirect(url_for("backoffice.discounts"))
    return form_page(
        "backoffice/settings_form.html",
        form=form,
        heading=f"Edit {discount.code}" if discount else "New discount code",
        submit="Save code",
        back=url_for("backoffice.discounts"),
        help_text="A percentage or an amount comes off the goods it is for (tax is on what "
        "is left); free shipping takes the shipping charge off. A code held by an order "
        "that is never paid is given back when the order expires or is cancelled.",
        section=("Discount codes", url_for("backoffice.discounts")),
    )
