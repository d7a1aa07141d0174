"""Purchasing in the back office: suppliers, purchase orders, receiving, the reorder list
and the daily backorder list.

Warehouse and sales staff (and the owner) keep suppliers, write and send
purchase orders and read the lists: sales answer customers about backorders,
the warehouse orders what runs low. Only the warehouse (and the owner) receives
goods: receiving puts stock on the shelf and allocates it to waiting orders.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.purchasing import (
    PurchaseOrderEditForm,
    PurchaseOrderForm,
    PurchaseOrderLineForm,
    SupplierForm,
    receive_form,
    reorder_form,
)
from backoffice.views import (
    file_response,
    form_page,
    found_page,
    get_or_404,
    page_number,
    service_call,
)
from shop.accounts import roles
from shop.backorders import purchase_orders as po_use_cases
from shop.backorders import queue
from shop.formatting import plural
from shop.forms import EmptyForm
from shop.payables import bills
from shop.payables import models as bill_models
from shop.planning import reorder as reordering
from shop.purchasing import services
from shop.purchasing import status as st
from shop.purchasing.models import PurchaseOrder, Supplier

BUYERS = (roles.WAREHOUSE, roles.SALES)
RECEIVERS = (roles.WAREHOUSE,)
READERS = (*BUYERS, roles.BOOKKEEPER)  # the bookkeeper opens a PO to enter its bill


# --- suppliers -----------------------------------------------------------------------


@bp.get("/suppliers")
@allow(*BUYERS)
def suppliers():
    return render_template("backoffice/suppliers.html", suppliers=services.suppliers())


@bp.route("/suppliers/new", methods=["GET", "POST"])
@allow(*BUYERS)
def supplier_new():
    form = SupplierForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            supplier = services.save_supplier(**form.data_for_service())
        if call.ok:
            flash(f"Supplier {supplier.name} added.", "success")
            return redirect(url_for("backoffice.suppliers"))
    return form_page("backoffice/supplier_form.html", form=form, heading="New supplier")


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
@allow(*BUYERS)
def supplier_edit(supplier_id: int):
    supplier = get_or_404(Supplier, supplier_id)
    form = SupplierForm(obj=supplier)
    if form.validate_on_submit():
        with service_call(form) as call:
            services.save_supplier(supplier=supplier, **form.data_for_service())
        if call.ok:
            flash(f"Supplier {supplier.name} saved.", "success")
            return redirect(url_for("backoffice.suppliers"))
    return form_page("backoffice/supplier_form.html", form=form, heading=f"Edit {supplier.name}")


# --- purchase orders -----------------------------------------------------------------


def _po_or_404(po_id: int) -> PurchaseOrder:
    get_or_404(PurchaseOrder, po_id)
    return services.purchase_order(po_id)


def _detail(po: PurchaseOrder, **forms):
    context = {
        "po": po,
        "total": services.total_of(po),
        "labels": st.LABELS,
        "line_form": forms.get("line_form") or PurchaseOrderLineForm(formdata=None),
        "edit_form": forms.get("edit_form") or PurchaseOrderEditForm(formdata=None, obj=po),
        "editable": po.status in st.EDITABLE,
        "open": po.status in st.OPEN,
        "cancellable": bool(st.TRANSITIONS[po.status] & {st.CANCELLED}),
        "bills": bills.bills_of(po),
        "billable": bills.can_bill(po),
        "bill_labels": bill_models.STATUS_LABELS,
    }
    return context


@bp.get("/purchase-orders")
@allow(*BUYERS)
def purchase_orders():
    status = request.args.get("status", "")
    return render_template(
        "backoffice/purchase_orders.html",
        status=status if status in st.LABELS else "",
        labels=st.LABELS,
        pagination=found_page(services.purchase_orders(status=status, page=page_number())),
    )


@bp.route("/purchase-orders/new", methods=["GET", "POST"])
@allow(*BUYERS)
def purchase_order_new():
    form = PurchaseOrderForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            po = services.create_purchase_order(
                supplier_id=form.supplier_id.data,
                user=current_user,
                expected_date=form.expected_date.data,
                note=form.note.data or "",
            )
        if call.ok:
            flash(f"{po.number} started: add its lines.", "success")
            return redirect(url_for("backoffice.purchase_order", po_id=po.id))
    return form_page("backoffice/purchase_order_new.html", form=form)


@bp.get("/purchase-orders/<int:po_id>")
@allow(*READERS)
def purchase_order(po_id: int):
    return render_template("backoffice/purchase_order.html", **_detail(_po_or_404(po_id)))


@bp.post("/purchase-orders/<int:po_id>/edit")
@allow(*BUYERS)
def purchase_order_edit(po_id: int):
    po = _po_or_404(po_id)
    form = PurchaseOrderEditForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            told = po_use_cases.edit_purchase_order(
                po=po,
                expected_date=form.expected_date.data,
                note=form.note.data or "",
                user=current_user,
            )
        if call.ok:
            emailed = sum(1 for t in told if t.emailed)
            moved = (
                f" {plural(len(told), 'order')} re-dated, {plural(emailed, 'customer')} emailed."
                if told
                else ""
            )
            flash(f"{po.number} saved.{moved}", "success")
            return redirect(url_for("backoffice.purchase_order", po_id=po.id))
    return form_page("backoffice/purchase_order.html", **_detail(_po_or_404(po_id), edit_form=form))


@bp.post("/purchase-orders/<int:po_id>/lines")
@allow(*BUYERS)
def purchase_order_line_add(po_id: int):
    po = _po_or_404(po_id)
    form = PurchaseOrderLineForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            line = services.add_line(
                po=po,
                sku=form.sku.data,
                quantity=form.quantity.data,
                unit_cost=form.unit_cost.minor_units(),
                expected_date=form.expected_date.data,
            )
        if call.ok:
            flash(f"{line.quantity} x {line.variant.sku} added to {po.number}.", "success")
            return redirect(url_for("backoffice.purchase_order", po_id=po.id))
    return form_page("backoffice/purchase_order.html", **_detail(_po_or_404(po_id), line_form=form))


@bp.post("/purchase-orders/<int:po_id>/lines/<int:line_id>/delete")
@allow(*BUYERS)
def purchase_order_line_delete(po_id: int, line_id: int):
    po = _po_or_404(po_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            services.remove_line(po=po, line_id=line_id)
        if call.ok:
            flash("Line removed.", "success")
    return redirect(url_for("backoffice.purchase_order", po_id=po_id))


@bp.post("/purchase-orders/<int:po_id>/send")
@allow(*BUYERS)
def purchase_order_send(po_id: int):
    po = _po_or_404(po_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            po_use_cases.send_purchase_order(po=po, user=current_user)
        if call.ok:
            flash(f"{po.number} sent to {po.supplier.email}.", "success")
    return redirect(url_for("backoffice.purchase_order", po_id=po_id))


@bp.post("/purchase-orders/<int:po_id>/cancel")
@allow(*BUYERS)
def purchase_order_cancel(po_id: int):
    po = _po_or_404(po_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            po_use_cases.cancel_purchase_order(po=po, user=current_user)
        if call.ok:
            flash(f"{po.number} cancelled.", "success")
    return redirect(url_for("backoffice.purchase_order", po_id=po_id))


@bp.route("/purchase-orders/<int:po_id>/receive", methods=["GET", "POST"])
@allow(*RECEIVERS)
def purchase_order_receive(po_id: int):
    po = _po_or_404(po_id)
    form = receive_form(po)
    if po.status in st.OPEN and form.validate_on_submit():
        with service_call(form) as call:
            receipt = po_use_cases.receive_purchase_order(
                po=po,
                quantities=form.quantities(),
                user=current_user,
                allow_over=form.allow_over.data,
            )
        if call.ok:
            message = f"{plural(receipt.units, 'unit')} received on {po.number}."
            if receipt.orders:
                message += f" Allocated to backorders of {', '.join(receipt.orders)}."
            flash(message, "success")
            return redirect(url_for("backoffice.purchase_order", po_id=po.id))
    return form_page(
        "backoffice/purchase_order_receive.html",
        po=_po_or_404(po_id),
        form=form,
        open=po.status in st.OPEN,
        labels=st.LABELS,
    )


# --- the lists -----------------------------------------------------------------------


@bp.route("/reorder", methods=["GET", "POST"])
@allow(*BUYERS)
def reorder():
    rows = reordering.reorder_list()
    form = reorder_form(rows)
    if form.validate_on_submit():
        with service_call(form) as call:
            made = reordering.create_draft_pos(
                form.variant_ids.data, current_user, quantities=form.quantities()
            )
        if call.ok:
            flash(_drafts_made(made), "success")
            return redirect(url_for("backoffice.purchase_orders", status=st.DRAFT))
    return form_page("backoffice/reorder.html", form=form, rows=rows)


def _drafts_made(made) -> str:
    numbers = ", ".join(po.number for po in made)
    if len(made) == 1:
        return f"Draft purchase order {numbers} created: check it and send it."
    return f"Draft purchase orders {numbers} created: check them and send them."


@bp.get("/backorders")
@allow(*BUYERS)
def backorders():
    return render_template("backoffice/backorders.html", rows=queue.backorder_list())


@bp.get("/backorders.csv")
@allow(*BUYERS)
def backorders_csv():
    text = queue.backorder_csv(queue.backorder_list())
    return file_response(text, "backorders.csv", "text/csv")
