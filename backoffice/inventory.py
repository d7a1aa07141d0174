"""Stock in the back office: levels, manual adjustments, counts, movement history.

Warehouse staff and the owner change stock (adjustments and counts). Sales and
bookkeeping staff may look at the stock list and at every movement, read-only:
sales staff answer customers about stock, the bookkeeper checks what the stock
at cost is made of. Nobody edits or deletes a movement; a mistake is put right
by another movement.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.inventory import StockAdjustForm, StockCountForm
from backoffice.views import (
    file_response,
    form_page,
    found_page,
    get_or_404,
    page_number,
    search_text,
    service_call,
)
from shop.accounts import roles
from shop.catalogue.models import Variant
from shop.inventory import services, stock_figures

VIEWERS = (roles.WAREHOUSE, roles.SALES, roles.BOOKKEEPER)
KEEPERS = (roles.WAREHOUSE,)


@bp.get("/stock")
@allow(*VIEWERS)
def stock():
    q = search_text()
    low_only = request.args.get("low") == "1"
    return render_template(
        "backoffice/stock.html",
        q=q,
        low_only=low_only,
        pagination=found_page(services.stock_list(text=q, low_only=low_only, page=page_number())),
    )


@bp.route("/stock/<int:variant_id>/adjust", methods=["GET", "POST"])
@allow(*KEEPERS)
def stock_adjust(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    form = StockAdjustForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            services.adjust_stock(
                variant_id=variant.id,
                quantity=form.quantity.data,
                reason=form.reason.data,
                note=form.note.data or "",
                user=current_user,
            )
        if call.ok:
            flash(f"Stock of {variant.sku} changed by {form.quantity.data:+d}.", "success")
            return redirect(url_for("backoffice.stock_movements", variant_id=variant.id))
    return form_page("backoffice/stock_adjust.html", form=form, variant=variant)


@bp.route("/stock/<int:variant_id>/count", methods=["GET", "POST"])
@allow(*KEEPERS)
def stock_count(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    form = StockCountForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            movement = services.count_stock(
                variant_id=variant.id,
                counted=form.counted.data,
                note=form.note.data or "",
                user=current_user,
            )
        if call.ok:
            if movement is None:
                flash(f"Count of {variant.sku} matches: nothing to change.", "info")
            else:
                flash(f"Count of {variant.sku} recorded: {movement.quantity:+d}.", "success")
            return redirect(url_for("backoffice.stock_movements", variant_id=variant.id))
    return form_page("backoffice/stock_count.html", form=form, variant=variant)


@bp.get("/stock/<int:variant_id>/movements")
@allow(*VIEWERS)
def stock_movements(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    return render_template(
        "backoffice/stock_movements.html",
        variant=variant,
        pagination=found_page(services.movement_history(variant_id=variant.id, page=page_number())),
        movement_total=services.movement_total(variant.id),
    )


VALUERS = (roles.WAREHOUSE, roles.BOOKKEEPER)


@bp.get("/stock/valuation")
@allow(*VALUERS)
def stock_valuation():
    return render_template(
        "backoffice/stock_valuation.html", valuation=stock_figures.stock_valuation()
    )


@bp.get("/stock/valuation.csv")
@allow(*VALUERS)
def stock_valuation_csv():
    lines = stock_figures.stock_valuation_csv(
        stock_figures.stock_valuation(), current_app.config["BASE_CURRENCY"]
    )
    return file_response("".join(lines), "stock-valuation.csv", "text/csv")
