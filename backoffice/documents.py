"""The warehouse's printouts as PDF downloads: packing slips, labels, pick lists and
purchase orders.

One shipment's slip or labels by its number, or a batch of them in one PDF
(the form repeats the field `shipment`); the pick list of the orders chosen
(the field `order`, repeated), or of every paid order waiting to be picked.
Warehouse staff (and the owner) print them; sales staff also print purchase
orders for suppliers. A number that does not exist gives 404.
"""

from io import BytesIO

from flask import abort, render_template, request, send_file

from backoffice import bp
from backoffice.access import allow
from shop.accounts import roles
from shop.fulfilment import documents
from shop.purchasing import documents as purchasing_documents

PRINTERS = (roles.WAREHOUSE,)
PO_PRINTERS = (roles.WAREHOUSE, roles.SALES)


def _pdf(data: bytes, filename: str):
    response = send_file(
        BytesIO(data), mimetype=documents.PDF, download_name=filename, as_attachment=False
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _nothing_chosen(what: str):
    message = f"Choose at least one {what} to print (at most {documents.MAX_BATCH})."
    return render_template("errors/error.html", code=400, title="Nothing to print",
                           message=message), 400  # fmt: skip


def _shipment_or_404(number: str):
    shipment = documents.shipment_by_number(number)
    if shipment is None:
        abort(404)
    return shipment


def _chosen_shipments():
    numbers = request.form.getlist("shipment")
    if not numbers or len(numbers) > documents.MAX_BATCH:
        return None
    shipments = documents.shipments_by_numbers(numbers)
    if shipments is None:
        abort(404)
    return shipments


@bp.get("/shipments/<shipment_number>/packing-slip.pdf")
@allow(*PRINTERS)
def packing_slip_pdf(shipment_number: str):
    shipment = _shipment_or_404(shipment_number)
    return _pdf(documents.packing_slips_pdf([shipment]), f"packing-slip-{shipment.number}.pdf")


@bp.get("/shipments/<shipment_number>/label.pdf")
@allow(*PRINTERS)
def label_pdf(shipment_number: str):
    shipment = _shipment_or_404(shipment_number)
    return _pdf(documents.labels_pdf([shipment]), f"label-{shipment.number}.pdf")


@bp.post("/documents/packing-slips.pdf")
@allow(*PRINTERS)
def packing_slips_pdf():
    shipments = _chosen_shipments()
    if shipments is None:
        return _nothing_chosen("shipment")
    return _pdf(documents.packing_slips_pdf(shipments), "packing-slips.pdf")


@bp.post("/documents/labels.pdf")
@allow(*PRINTERS)
def labels_pdf():
    shipments = _chosen_shipments()
    if shipments is None:
        return _nothing_chosen("shipment")
    return _pdf(documents.labels_pdf(shipments), "labels.pdf")


@bp.route("/documents/pick-list.pdf", methods=["GET", "POST"])
@allow(*PRINTERS)
def pick_list_pdf():
    source = request.form if request.method == "POST" else request.args
    numbers = [n for n in source.getlist("order") if n.strip()]
    if len(numbers) > documents.MAX_BATCH:
        return _nothing_chosen("order")
    if numbers:
        orders = documents.orders_by_numbers(numbers)
        if orders is None:
            abort(404)
    else:
        orders = documents.orders_to_pick()
    return _pdf(documents.pick_list_pdf(orders), "pick-list.pdf")


@bp.get("/purchase-orders/<po_number>.pdf")
@allow(*PO_PRINTERS)
def purchase_order_pdf(po_number: str):
    po = purchasing_documents.purchase_order_by_number(po_number)
    if po is None:
        abort(404)
    return _pdf(purchasing_documents.purchase_order_pdf(po), f"{po.number}.pdf")
