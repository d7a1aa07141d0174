"""The store as a business: its legal name, address, tax numbers, logo and invoice footer
(what the next invoices say), and the demo processor's fee schedule. The owner only."""

from flask import flash, redirect, url_for

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.store_settings import StoreSettingsForm
from backoffice.views import form_page, service_call
from shop.store_details import services


@bp.route("/store-settings", methods=["GET", "POST"])
@allow()  # the owner only
def store_settings():
    settings = services.store_settings()
    form = StoreSettingsForm(obj=settings)
    if not form.is_submitted():
        form.demo_fee_percent.data = settings.demo_fee_percent / 100
        form.restocking_fee_percent.data = settings.restocking_fee_percent / 100
    if form.validate_on_submit():
        with service_call(form) as call:
            services.update_store_settings(**form.data_for_service())
            if form.logo.data:
                services.save_logo(form.logo.data.read())
        if call.ok:
            flash("Store details saved; invoices issued from now on show them.", "success")
            return redirect(url_for("backoffice.store_settings"))
    return form_page("backoffice/store_settings.html", form=form, settings=settings)
