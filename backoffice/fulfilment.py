"""The warehouse: orders to pack, shipments from packing to shipped. Warehouse staff and owner.

A shipment is started from "To pack" with every allocated unit of the order and
the boxes the packing rules propose; staff change boxes, weights or quantities,
then confirm, which takes the stock out and tells the customer. Packing slips
and labels are served by backoffice/printouts.py.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.fulfilment import ConfirmShipmentForm, ShipmentFilterForm, packing_form
from backoffice.views import form_page, found_page, page_number, service_call
from shop.accounts import roles
from shop.forms import EmptyForm
from shop.fulfilment import batches, services
from shop.fulfilment import status as st
from shop.orders import queries as order_queries

WAREHOUSE = (roles.WAREHOUSE,)
MAX_NUMBER = 20  # the longest order or shipment number the columns hold


def _shipment_or_404(shipment_number: str):
    found = None
    if len(shipment_number) <= MAX_NUMBER:
        found = services.shipment_by_number(shipment_number)
    if found is None:
        abort(404)
    return found


def _to_pack_page():
    return form_page(
        "backoffice/to_pack.html",
        pagination=found_page(services.orders_to_pack(page=page_number())),
        start_form=EmptyForm(),
    )


@bp.get("/fulfilment/to-pack")
@allow(*WAREHOUSE)
def to_pack():
    return _to_pack_page()


@bp.post("/fulfilment/orders/<number>/start")
@allow(*WAREHOUSE)
def shipment_start(number: str):
    order = order_queries.admin_order(number) if len(number) <= MAX_NUMBER else None
    if order is None:
        abort(404)
    form = EmptyForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            shipment = services.start_shipment(order=order, user=current_user)
        if call.ok:
            flash(f"Shipment {shipment.number} started for order {number}.", "success")
            return redirect(url_for("backoffice.shipment", shipment_number=shipment.number))
    else:
        flash("The form expired; please try again.", "error")
    return _to_pack_page()


@bp.get("/shipments")
@allow(*WAREHOUSE)
def shipments():
    filters = ShipmentFilterForm(request.args)
    filters.validate()
    return render_template(
        "backoffice/shipments.html",
        filters=filters,
        pagination=found_page(services.shipments(**filters.filters(), page=page_number())),
        status_labels=st.LABELS,
        batches=batches.recent_batches(current_user),
        batch_kinds=batches.KINDS,
    )


def _shipment_page(shipment, packing=None, confirm=None):
    return form_page(
        "backoffice/shipment.html",
        shipment=shipment,
        packing_form=packing or packing_form(shipment, services.active_boxes()),
        confirm_form=confirm or ConfirmShipmentForm(),
        cancel_form=EmptyForm(),
        tracking_by_hand=not services.tracking_made_here(shipment),
        still_to_come=services.still_to_come(
            shipment.order, after=shipment if shipment.status == st.PACKING else None
        ),
        is_packing=shipment.status == st.PACKING,
        status_labels=st.LABELS,
    )


@bp.get("/shipments/<shipment_number>")
@allow(*WAREHOUSE)
def shipment(shipment_number: str):
    return _shipment_page(_shipment_or_404(shipment_number))


@bp.post("/shipments/<shipment_number>/parcels")
@allow(*WAREHOUSE)
def shipment_parcels(shipment_number: str):
    found = _shipment_or_404(shipment_number)
    form = packing_form(found, services.active_boxes())
    if form.validate_on_submit():
        with service_call(form) as call:
            services.update_parcels(
                shipment=found, parcels=form.parcel_entries(), quantities=form.quantities()
            )
        if call.ok:
            flash(f"Packing of shipment {found.number} saved.", "success")
            return redirect(url_for("backoffice.shipment", shipment_number=found.number))
    return _shipment_page(_shipment_or_404(shipment_number), packing=form)


@bp.post("/shipments/<shipment_number>/confirm")
@allow(*WAREHOUSE)
def shipment_confirm(shipment_number: str):
    found = _shipment_or_404(shipment_number)
    form = ConfirmShipmentForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            services.confirm_shipment(
                shipment=found, user=current_user, tracking_number=form.tracking_number.data
            )
        if call.ok:
            flash(
                f"Shipment {found.number} shipped, tracking {found.tracking_number}; "
                f"{found.order.email} has been emailed.",
                "success",
            )
            return redirect(url_for("backoffice.shipment", shipment_number=found.number))
    return _shipment_page(_shipment_or_404(shipment_number), confirm=form)


@bp.post("/shipments/<shipment_number>/cancel")
@allow(*WAREHOUSE)
def shipment_cancel(shipment_number: str):
    found = _shipment_or_404(shipment_number)
    form = EmptyForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            services.cancel_shipment(shipment=found, user=current_user)
        if call.ok:
            flash(f"Shipment {found.number} cancelled; nothing has left.", "success")
            return redirect(url_for("backoffice.shipment", shipment_number=found.number))
    return _shipment_page(_shipment_or_404(shipment_number))
