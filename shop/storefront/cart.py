"""The cart: add, change, remove; totals from the server's catalogue."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from shop.cart import services
from shop.storefront.forms import AddToCartForm, EmptyForm, UpdateLineForm
from shop.storefront.helpers import back_or
from shop.views import service_call

bp = Blueprint("cart", __name__, url_prefix="/cart")


def _form_errors(form) -> str:
    return " ".join(msg for errors in form.errors.values() for msg in errors)


@bp.get("/")
def show():
    cart = services.current_cart(current_user)
    return render_template(
        "shop/cart.html",
        summary=services.summarise(cart),
        update_form=UpdateLineForm(),
        remove_form=EmptyForm(),
    )


@bp.post("/add")
def add():
    form = AddToCartForm()
    back = back_or("cart.show")
    if not form.validate_on_submit():
        flash(_form_errors(form) or "Please check the quantity.", "error")
        return redirect(back), 303
    with service_call() as call:
        line = services.add_to_cart(
            user=current_user, variant_id=form.variant_id_as_int(), quantity=form.quantity.data
        )
        name = line.variant.full_name  # read before the commit, not loaded again after it
    if not call.ok:
        return redirect(back), 303
    flash(f"Added {form.quantity.data} x {name} to your cart.", "success")
    return redirect(url_for("cart.show")), 303


@bp.post("/lines/<int:line_id>")
def update(line_id: int):
    form = UpdateLineForm()
    if not form.validate_on_submit():
        flash(_form_errors(form) or "Please check the quantity.", "error")
        return redirect(url_for("cart.show")), 303
    with service_call() as call:
        services.update_line(user=current_user, line_id=line_id, quantity=form.quantity.data)
    if not call.ok:
        return redirect(url_for("cart.show")), 303
    flash("Cart updated.", "success")
    return redirect(url_for("cart.show")), 303


@bp.post("/lines/<int:line_id>/remove")
def remove(line_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("Your session expired; please try again.", "error")
        return redirect(url_for("cart.show")), 303
    with service_call() as call:
        services.remove_line(user=current_user, line_id=line_id)
    if not call.ok:
        return redirect(url_for("cart.show")), 303
    flash("Removed from your cart.", "success")
    return redirect(url_for("cart.show")), 303
