"""The warehouse's printouts as PDF downloads: packing slips, labels, pick lists and
purchase orders.

One shipment's slip or labels by its number, or a batch of them in one PDF
(the form repeats the field `shipment`); the pick list of the orders chosen
(the field `order`, repeated), or of every paid order waiting to be picked.
Warehouse staff (and the owner) print them; sales staff also print purchase
orders for suppliers. A number that does not exist gives 404.

A batch of more shipments than DOCUMENT_BATCH_QUEUED_ABOVE is made by a job
(shop.fulfilment.batches): the answer is the batch's page, "being prepared", then
its download, for the person who asked and staff of the same role; its address
holds a random token.
"""

from io import BytesIO

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.views import file_response
from shop.accounts import roles
from shop.errors import DomainError
from shop.extensions import db
from shop.formatting import plural
from shop.fulfilment import batch_files, batches, printing
from shop.purchasing import po_files

PRINTERS = (roles.WAREHOUSE,)
PO_PRINTERS = (roles.WAREHOUSE, roles.SALES)


def _pdf(data: bytes, filename: str):
    return file_response(BytesIO(data), filename, printing.PDF, inline=True)


def _nothing_chosen(what: str):
    message = f"Choose at least one {what} to print (at most {printing.MAX_BATCH})."
    return render_template("errors/error.html", code=400, title="Nothing to print",
                           message=message), 400  # fmt: skip


def _shipment_or_404(number: str):
    shipment = printing.shipment_by_number(number)
    if shipment is None:
        abort(404)
    return shipment


def _chosen_shipments():
    numbers = request.form.getlist("shipment")
    if not numbers or len(numbers) > printing.MAX_BATCH:
        return None
    shipments = printing.shipments_by_numbers(numbers)
    if shipments is None:
        abort(404)
    return shipments


@bp.get("/shipments/<shipment_number>/packing-slip.pdf")
@allow(*PRINTERS)
def packing_slip_pdf(shipment_number: str):
    shipment = _shipment_or_404(shipment_number)
    return _pdf(printing.packing_slips_pdf([shipment]), f"packing-slip-{shipment.number}.pdf")


@bp.get("/shipments/<shipment_number>/label.pdf")
@allow(*PRINTERS)
def label_pdf(shipment_number: str):
    shipment = _shipment_or_404(shipment_number)
    return _pdf(printing.labels_pdf([shipment]), f"label-{shipment.number}.pdf")


def _batch(kind: str):
    """The PDF of the shipments chosen, at once; or, for many, the page of their batch."""
    shipments = _chosen_shipments()
    if shipments is None:
        return _nothing_chosen("shipment")
    if not batches.is_large(len(shipments)):
        return _pdf(batches.RENDERERS[kind](shipments), batches.FILENAMES[kind])
    batch = batches.ask_batch(kind, shipments, current_user)
    batch_id, token = batch.id, batch.token  # read now: after the commit a read would lock
    db.session.commit()
    try:
        batches.start_batch(batch_id)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("backoffice.shipments"))
    flash(
        f"{batches.KINDS[kind]} of {plural(len(shipments), 'shipment')} are being prepared; "
        "this page gives the file when it is ready.",
        "success",
    )
    return redirect(url_for("backoffice.document_batch", token=token))


@bp.post("/documents/packing-slips.pdf")
@allow(*PRINTERS)
def packing_slips_pdf():
    return _batch(batches.PACKING_SLIPS)


@bp.post("/documents/labels.pdf")
@allow(*PRINTERS)
def labels_pdf():
    return _batch(batches.LABELS)


def _batch_or_404(token: str):
    batch = batches.batch_for(token, current_user)
    if batch is None:
        abort(404)
    return batch


@bp.get("/documents/batches/<token>")
@allow(*PRINTERS)
def document_batch(token: str):
    return render_template(
        "backoffice/document_batch.html", batch=_batch_or_404(token), kinds=batches.KINDS
    )


@bp.get("/documents/batches/<token>.pdf")
@allow(*PRINTERS)
def document_batch_pdf(token: str):
    batch = _batch_or_404(token)
    found = batch_files.open_file(batch.token) if batch.status == batches.READY else None
    if found is None:
        abort(404)
    return file_response(found, batches.FILENAMES[batch.kind], printing.PDF)


@bp.route("/documents/pick-list.pdf", methods=["GET", "POST"])
@allow(*PRINTERS)
def pick_list_pdf():
    source = request.form if request.method == "POST" else request.args
    numbers = [n for n in source.getlist("order") if n.strip()]
    if len(numbers) > printing.MAX_BATCH:
        return _nothing_chosen("order")
    if numbers:
        orders = printing.orders_by_numbers(numbers)
        if orders is None:
            abort(404)
    else:
        orders = printing.orders_to_pick()
    return _pdf(printing.pick_list_pdf(orders), "pick-list.pdf")


@bp.get("/purchase-orders/<po_number>.pdf")
@allow(*PO_PRINTERS)
def purchase_order_pdf(po_number: str):
    po = po_files.purchase_order_by_number(po_number)
    if po is None:
        abort(404)
    return _pdf(po_files.purchase_order_pdf(po), f"{po.number}.pdf")
