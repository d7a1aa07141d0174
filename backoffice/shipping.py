"""Shipping settings: carriers, services, zones and their rate tables, boxes. The owner only.

Checkout quotes from these rows directly, so a change here is the price the
next customer sees; orders already placed keep the shipping they were charged.
"""

from flask import abort, flash, redirect, render_template, url_for

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.shipping import (
    BoxForm,
    CarrierForm,
    RegionForm,
    ShippingServiceForm,
    ZoneForm,
    band_form,
)
from backoffice.views import MAX_ID, form_page, get_or_404, service_call
from shop.extensions import db
from shop.forms import EmptyForm
from shop.shipping import services
from shop.shipping.models import Box, Carrier, ShippingService, ShippingZone, ZoneRegion


@bp.get("/shipping")
@allow()  # the owner only
def shipping():
    return render_template(
        "backoffice/shipping.html",
        carriers=services.carriers(),
        shipping_services=services.all_services(),
        zones=services.zones(),
        boxes=services.boxes(),
    )


def _form_page(form, heading: str, submit: str, back: str, help_text: str = ""):
    return form_page(
        "backoffice/settings_form.html",
        form=form,
        heading=heading,
        submit=submit,
        back=back,
        help_text=help_text,
        section=("Shipping", url_for("backoffice.shipping")),
    )


# --- carriers and services ---------------------------------------------------------


@bp.route("/shipping/carriers/<int:carrier_id>", methods=["GET", "POST"])
@allow()
def carrier_edit(carrier_id: int):
    carrier = get_or_404(Carrier, carrier_id)
    form = CarrierForm(obj=carrier)
    if form.validate_on_submit():
        with service_call(form) as call:
            services.update_carrier(
                carrier=carrier, name=form.name.data, dim_divisor=form.dim_divisor.data
            )
        if call.ok:
            flash(f"Carrier \u201c{carrier.name}\u201d saved.", "success")
            return redirect(url_for("backoffice.shipping"))
    return _form_page(
        form,
        f"Carrier: {carrier.name}",
        "Save carrier",
        url_for("backoffice.shipping"),
        "A parcel is billed at the larger of its weight and its dimensional weight: "
        "length \u00d7 width \u00d7 height in cm divided by this number, in kg.",
    )


@bp.route("/shipping/services/<int:service_id>", methods=["GET", "POST"])
@allow()
def service_edit(service_id: int):
    service = get_or_404(ShippingService, service_id)
    form = ShippingServiceForm(obj=service)
    if form.validate_on_submit():
        with service_call(form) as call:
            services.update_service(service=service, **form.data_for_service())
        if call.ok:
            flash(f"Service \u201c{service.full_name}\u201d saved.", "success")
            return redirect(url_for("backoffice.shipping"))
    return _form_page(
        form,
        f"Shipping service: {service.full_name}",
        "Save service",
        url_for("backoffice.shipping"),
        "Prices per zone and weight are in each zone's rate table.",
    )


# --- zones, their regions and rate tables -------------------------------------------


@bp.route("/shipping/zones/new", methods=["GET", "POST"])
@bp.route("/shipping/zones/<int:zone_id>/edit", methods=["GET", "POST"])
@allow()
def zone_edit(zone_id: int | None = None):
    zone = get_or_404(ShippingZone, zone_id) if zone_id is not None else None
    form = ZoneForm(obj=zone)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.save_zone(zone=zone, name=form.name.data)
        if call.ok:
            flash(f"Zone \u201c{saved.name}\u201d saved.", "success")
            return redirect(url_for("backoffice.zone", zone_id=saved.id))
    back = url_for("backoffice.zone", zone_id=zone.id) if zone else url_for("backoffice.shipping")
    return _form_page(
        form,
        f"Zone: {zone.name}" if zone else "New shipping zone",
        "Save zone",
        back,
        "" if zone else "Then add the provinces or postal codes it covers, and its prices.",
    )


def _zone_page(zone: ShippingZone, region_form: RegionForm):
    return form_page(
        "backoffice/zone.html",
        zone=zone,
        region_form=region_form,
        remove_form=EmptyForm(),
        shipping_services=services.all_services(),
        bands=services.rate_bands(zone),
    )


@bp.get("/shipping/zones/<int:zone_id>")
@allow()
def zone(zone_id: int):
    return _zone_page(get_or_404(ShippingZone, zone_id), RegionForm())


@bp.post("/shipping/zones/<int:zone_id>/regions")
@allow()
def region_add(zone_id: int):
    found = get_or_404(ShippingZone, zone_id)
    form = RegionForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            region = services.add_region(
                zone=found,
                country=form.country.data,
                province=form.province.data,
                postal_prefix=form.postal_prefix.data or "",
            )
        if call.ok:
            where = (
                f"postal codes starting {region.postal_prefix}" if region.postal_prefix else "all"
            )
            flash(f"{region.province} ({where}) now ships as \u201c{found.name}\u201d.", "success")
            return redirect(url_for("backoffice.zone", zone_id=found.id))
    return _zone_page(get_or_404(ShippingZone, zone_id), form)


@bp.post("/shipping/zones/<int:zone_id>/regions/<int:region_id>/delete")
@allow()
def region_delete(zone_id: int, region_id: int):
    region = get_or_404(ZoneRegion, region_id)
    if region.zone_id != zone_id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.remove_region(region=region)
    db.session.commit()
    flash("Region removed from the zone.", "success")
    return redirect(url_for("backoffice.zone", zone_id=zone_id))


def _band_or_404(zone: ShippingZone, max_weight_g: int) -> dict:
    rates = services.band_rates(zone, max_weight_g) if 0 < max_weight_g <= MAX_ID else {}
    if not rates:
        abort(404)
    return rates


@bp.route("/shipping/zones/<int:zone_id>/bands/new", methods=["GET", "POST"])
@bp.route("/shipping/zones/<int:zone_id>/bands/<int:max_weight_g>", methods=["GET", "POST"])
@allow()
def band_edit(zone_id: int, max_weight_g: int | None = None):
    found = get_or_404(ShippingZone, zone_id)
    rates = _band_or_404(found, max_weight_g) if max_weight_g is not None else {}
    shipping_services = services.all_services()
    data = {"max_weight_g": max_weight_g} if max_weight_g is not None else {}
    for service in shipping_services:
        if service.id in rates:
            data[f"price_{service.id}"] = rates[service.id].price
    form = band_form(shipping_services, data=data)
    if form.validate_on_submit():
        with service_call(form) as call:
            services.save_band(
                zone=found,
                max_weight_g=form.max_weight_g.data,
                prices=form.prices(),
                old_max_weight_g=max_weight_g,
            )
        if call.ok:
            flash(
                f"Prices of parcels up to {form.max_weight_g.data:,} g in "
                f"\u201c{found.name}\u201d saved.",
                "success",
            )
            return redirect(url_for("backoffice.zone", zone_id=found.id))
    heading = (
        f"{found.name}: parcels up to {max_weight_g:,} g"
        if max_weight_g is not None
        else f"{found.name}: new weight band"
    )
    return _form_page(
        form,
        heading,
        "Save prices",
        url_for("backoffice.zone", zone_id=found.id),
        "Leave a price empty where the service does not carry parcels of this weight.",
    )


@bp.post("/shipping/zones/<int:zone_id>/bands/<int:max_weight_g>/delete")
@allow()
def band_delete(zone_id: int, max_weight_g: int):
    found = get_or_404(ShippingZone, zone_id)
    _band_or_404(found, max_weight_g)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.delete_band(zone=found, max_weight_g=max_weight_g)
    db.session.commit()
    flash(f"Band up to {max_weight_g:,} g removed from \u201c{found.name}\u201d.", "success")
    return redirect(url_for("backoffice.zone", zone_id=zone_id))


# --- boxes -------------------------------------------------------------------------


@bp.route("/shipping/boxes/new", methods=["GET", "POST"])
@bp.route("/shipping/boxes/<int:box_id>", methods=["GET", "POST"])
@allow()
def box_edit(box_id: int | None = None):
    box = get_or_404(Box, box_id) if box_id is not None else None
    form = BoxForm(obj=box)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.save_box(
                box=box, data={name: form[name].data for name in services.BOX_FIELDS}
            )
        if call.ok:
            flash(f"Box \u201c{saved.name}\u201d saved.", "success")
            return redirect(url_for("backoffice.shipping"))
    return _form_page(
        form,
        f"Box: {box.name}" if box else "New box",
        "Save box",
        url_for("backoffice.shipping"),
        "Checkout packs each order into the smallest active boxes that take it.",
    )
