"""Return requests in the back office: the list by status, one request, the decision, the
parcel's receipt and its refund, the slip; and the returns report.

The warehouse (and the owner) handle returns: they decide on the request, open the
parcel and count what came back. The report, like every report, is the owner's.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.returns import DecisionForm, ReturnFilterForm, receipt_form
from backoffice.owner_reports import ReportPage, Section, chosen_filters, show_report
from backoffice.views import file_response, form_page, found_page, page_number, service_call
from shop.accounts import roles
from shop.refunds import services as refunds
from shop.reports import returns as report
from shop.returns import services
from shop.returns import status as return_status

HANDLERS = (roles.WAREHOUSE,)


def _request_or_404(rma: str):
    found = services.request_by_number(rma)
    if found is None:
        abort(404)
    return found


@bp.get("/returns")
@allow(*HANDLERS)
def returns():
    filters = ReturnFilterForm(request.args)
    filters.validate()
    return render_template(
        "backoffice/returns.html",
        filters=filters,
        pagination=found_page(services.admin_requests(**filters.filters(), page=page_number())),
        counts=services.status_counts(),
        labels=return_status.LABELS,
    )


def _page(found, *, decision=None, receipt=None):
    terms = services.refund_terms(found)
    return form_page(
        "backoffice/return.html",
        rr=found,
        order=found.order,
        decision_form=decision or DecisionForm(),
        receipt_form=receipt or receipt_form(found, terms),
        terms=terms,
        can_decide=found.status == return_status.REQUESTED,
        can_receive=found.status == return_status.AUTHORISED,
        slip=services.slip_available(found),
        refunded=services.refunded_by_request(found.order).get(found.id),
    )


@bp.get("/returns/<rma>")
@allow(*HANDLERS)
def return_request(rma: str):
    return _page(_request_or_404(rma))


def _decide(rma: str, decide, done: str):
    found = _request_or_404(rma)
    form = DecisionForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            decide(request=found, note=form.note.data or "", user=current_user)
        if call.ok:
            flash(done.format(number=found.number), "success")
            return redirect(url_for("backoffice.return_request", rma=found.number))
    return _page(_request_or_404(rma), decision=form)


@bp.post("/returns/<rma>/authorise")
@allow(*HANDLERS)
def return_authorise(rma: str):
    return _decide(
        rma, services.authorise_return,
        "Return {number} authorised; the customer has been emailed the return slip.",
    )  # fmt: skip


@bp.post("/returns/<rma>/refuse")
@allow(*HANDLERS)
def return_refuse(rma: str):
    return _decide(
        rma, services.refuse_return, "Return {number} refused; the customer has been told why."
    )


@bp.post("/returns/<rma>/receive")
@allow(*HANDLERS)
def return_receive(rma: str):
    found = _request_or_404(rma)
    form = receipt_form(found, services.refund_terms(found))
    if form.validate_on_submit():
        with service_call(form) as call:
            _, refund = services.receive_return(
                request=found, received=form.received(), user=current_user,
                note=form.note.data or "", restocking_fee_percent=form.fee_percent(),
                refund_shipping=bool(form.refund_shipping.data),
            )  # fmt: skip
        if call.ok:
            if refund is None:
                why = (
                    "The restocking fee keeps the whole price: nothing goes back."
                    if form.fee_percent() == 100 and not form.refund_shipping.data
                    else "Its units were already refunded: nothing more goes back."
                )
                flash(f"Return {found.number} received; the stock is updated. {why}", "success")
            else:
                refund_id, credit_note = refund.id, refund.credit_note.number
                refunds.send_refunds([refund_id])
                flash(
                    f"Return {found.number} received; the stock is updated and the refund "
                    f"(credit note {credit_note}) sent to the payment provider.",
                    "success",
                )
            return redirect(url_for("backoffice.return_request", rma=found.number))
    return _page(_request_or_404(rma), receipt=form)


@bp.get("/returns/<rma>/slip.pdf")
@allow(*HANDLERS)
def return_slip_pdf(rma: str):
    found = _request_or_404(rma)
    if not services.slip_available(found):
        abort(404)
    return file_response(services.slip_pdf(found), f"{found.number}.pdf", services.PDF, inline=True)


# --- the report --------------------------------------------------------------------------


@bp.get("/reports/returns")
@allow()
def report_returns():
    form, filters, _ = chosen_filters()
    page = ReportPage(
        "Returns", "backoffice.report_returns",
        "Return requests asked in the period, by product and by reason: the units asked "
        "(refused and waiting requests too), the units received resellable and damaged, and "
        "the goods' price refunded for them (before tax and shipping, after restocking fees).",
        [
            Section("product", "Returns by product", report.returns_by("product", filters)),
            Section("reason", "Returns by reason", report.returns_by("reason", filters)),
        ],
    )  # fmt: skip
    return show_report(page, form, filters)
