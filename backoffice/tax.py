"""Tax classes and rates by destination. The bookkeeper may look; the owner changes them.

Checkout taxes from these rows directly; orders already placed keep the tax
lines they were charged.
"""

from flask import abort, flash, redirect, render_template, url_for

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.tax import TaxClassForm, TaxRateForm
from backoffice.views import form_page, get_or_404, service_call
from shop.accounts import roles
from shop.extensions import db
from shop.forms import EmptyForm
from shop.tax import services
from shop.tax.models import TaxRate

VIEWERS = (roles.BOOKKEEPER,)


@bp.get("/tax")
@allow(*VIEWERS)
def tax_rates():
    return render_template(
        "backoffice/tax_rates.html",
        groups=services.rates_by_destination(),
        delete_form=EmptyForm(),
    )


@bp.get("/tax/classes")
@allow(*VIEWERS)
def tax_classes():
    return render_template("backoffice/tax_classes.html", tax_classes=services.tax_classes())


def _form_page(form, heading: str, submit: str, back: str, help_text: str = ""):
    return form_page(
        "backoffice/settings_form.html",
        form=form,
        heading=heading,
        submit=submit,
        back=back,
        help_text=help_text,
        section=("Tax", url_for("backoffice.tax_rates")),
    )


@bp.route("/tax/classes/new", methods=["GET", "POST"])
@allow()  # the owner only
def tax_class_new():
    form = TaxClassForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.create_tax_class(name=form.name.data)
        if call.ok:
            flash(f"Tax class \u201c{saved.name}\u201d created; give it its rates.", "success")
            return redirect(url_for("backoffice.tax_classes"))
    return _form_page(
        form,
        "New tax class",
        "Create tax class",
        url_for("backoffice.tax_classes"),
        "A tax class with no rate at a destination is not taxed there.",
    )


@bp.route("/tax/rates/new", methods=["GET", "POST"])
@bp.route("/tax/rates/<int:rate_id>", methods=["GET", "POST"])
@allow()
def tax_rate_edit(rate_id: int | None = None):
    tax_rate = get_or_404(TaxRate, rate_id) if rate_id is not None else None
    form = TaxRateForm(obj=tax_rate)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.save_tax_rate(tax_rate=tax_rate, **form.data_for_service())
        if call.ok:
            flash(
                f"{saved.component} for {saved.province} ({saved.country}) saved: "
                f"{(saved.rate * 100).normalize():f}%.",
                "success",
            )
            return redirect(url_for("backoffice.tax_rates"))
    return _form_page(
        form,
        "Edit tax rate" if tax_rate else "New tax rate",
        "Save tax rate",
        url_for("backoffice.tax_rates"),
        "Enter the rate as a percentage, like 9.975 for Quebec's QST. "
        "Orders already placed keep the tax they were charged.",
    )


@bp.post("/tax/rates/<int:rate_id>/delete")
@allow()
def tax_rate_delete(rate_id: int):
    tax_rate = get_or_404(TaxRate, rate_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    label = f"{tax_rate.component} for {tax_rate.province} ({tax_rate.country})"
    services.delete_tax_rate(tax_rate=tax_rate)
    db.session.commit()
    flash(f"{label} removed.", "success")
    return redirect(url_for("backoffice.tax_rates"))
