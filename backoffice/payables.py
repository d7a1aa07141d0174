"""Supplier bills and their payments in the back office: the bills list, entering a bill
from a received purchase order, a bill's page (pay, schedule, void), the "to pay" list
and the accounts payable aging.

The bookkeeper (and the owner) keep them; warehouse and sales staff do not see
what the store owes its suppliers.
"""

from datetime import date, timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.payables import (
    CHARGE_ROWS,
    BillFilterForm,
    PaymentForm,
    ScheduleForm,
    bill_form,
)
from backoffice.views import (
    file_response,
    form_page,
    found_page,
    get_or_404,
    page_number,
    service_call,
    show_error,
)
from shop.accounts import roles
from shop.clock import store_today
from shop.errors import DomainError
from shop.extensions import db
from shop.formatting import local_date
from shop.forms import EmptyForm
from shop.payables import aging, bills, payments
from shop.payables import models as m
from shop.purchasing import services as purchasing
from shop.purchasing.models import PurchaseOrder

BOOKKEEPING = (roles.BOOKKEEPER,)
TO_PAY_DAYS = 7  # the "to pay" list looks a week ahead unless told otherwise


# --- the list ------------------------------------------------------------------------


@bp.get("/bills")
@allow(*BOOKKEEPING)
def bills_list():
    form = BillFilterForm(
        request.args,
        suppliers=purchasing.suppliers(),
        ages=[(key, label) for key, label, *_ in aging.BUCKETS],
    )
    form.validate()
    pagination = bills.bill_list(
        supplier_id=form.chosen("supplier"),
        status=form.chosen("status"),
        age=form.chosen("age"),
        today=store_today(),
        page=page_number(),
    )
    found_page(pagination)
    return render_template(
        "backoffice/bills.html", filters=form, pagination=pagination, labels=m.STATUS_LABELS
    )


# --- entering a bill -------------------------------------------------------------------


@bp.route("/purchase-orders/<int:po_id>/bill", methods=["GET", "POST"])
@allow(*BOOKKEEPING)
def bill_new(po_id: int):
    po = purchasing.purchase_order(get_or_404(PurchaseOrder, po_id).id)
    proposed = bills.proposal(po)
    form = bill_form(proposed, bills.expense_accounts())
    checked = None
    billable = any(p.to_bill for p in proposed)
    if billable and form.validate_on_submit():
        draft = form.draft(proposed, CHARGE_ROWS)
        try:
            if "post" not in request.form:  # "Check against the PO": flags only, nothing saved
                checked = bills.check(po, draft)
            else:
                bill = bills.enter_bill(po=po, draft=draft, user=current_user)
        except DomainError as err:
            show_error(form, err)
        else:
            if checked is None:
                db.session.commit()
                flash(
                    f"Bill {bill.invoice_number} entered: {bills.money(bill.total)} "
                    f"due {local_date(bill.due_date)}.",
                    "success",
                )
                return redirect(url_for("backoffice.bill", bill_id=bill.id))
    page = form_page(
        "backoffice/bill_new.html",
        po=po,
        billable=billable,
        proposed=proposed,
        form=form,
        checked=checked,
        charge_rows=range(CHARGE_ROWS),
        goods_field=bills.goods_field,
        charge_field=bills.charge_field,
        tax_field=bills.tax_field,
        components=bills.TAX_COMPONENTS,
    )
    # A check that went through is a page shown, not a form refused.
    return (page[0], 200) if checked is not None else page


# --- one bill ----------------------------------------------------------------------------


def _bill_or_404(bill_id: int) -> m.SupplierBill:
    get_or_404(m.SupplierBill, bill_id)
    return bills.bill(bill_id)


def _bill_page(bill: m.SupplierBill, *, pay_form=None, schedule_form=None):
    return form_page(
        "backoffice/bill.html",
        bill=bill,
        labels=m.STATUS_LABELS,
        methods=m.METHODS,
        pay_form=pay_form
        or PaymentForm(formdata=None, data={"paid_on": store_today(), "amount": bill.open_amount}),
        schedule_form=schedule_form or ScheduleForm(formdata=None, obj=bill),
        unpaid=bill.status in m.UNPAID,
    )


@bp.get("/bills/<int:bill_id>")
@allow(*BOOKKEEPING)
def bill(bill_id: int):
    return _bill_page(_bill_or_404(bill_id))


@bp.post("/bills/<int:bill_id>/pay")
@allow(*BOOKKEEPING)
def bill_pay(bill_id: int):
    bill = _bill_or_404(bill_id)
    form = PaymentForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            payment = payments.record_payment(
                bill=bill,
                paid_on=form.paid_on.data,
                method=form.method.data,
                reference=form.reference.data,
                amount=form.amount.minor_units(),
                user=current_user,
            )
        if call.ok:
            flash(
                f"{m.METHODS[payment.method]} {payment.reference} of "
                f"{bills.money(payment.amount)} recorded.",
                "success",
            )
            return redirect(url_for("backoffice.bill", bill_id=bill_id))
    return _bill_page(_bill_or_404(bill_id), pay_form=form)


@bp.post("/bills/<int:bill_id>/schedule")
@allow(*BOOKKEEPING)
def bill_schedule(bill_id: int):
    bill = _bill_or_404(bill_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            payments.schedule_payment(bill=bill, pay_on=form.pay_on.data)
        if call.ok:
            when = local_date(bill.pay_on) if bill.pay_on else "no date (by its due date)"
            flash(f"Bill {bill.invoice_number} to be paid on {when}.", "success")
            return redirect(url_for("backoffice.bill", bill_id=bill_id))
    return _bill_page(_bill_or_404(bill_id), schedule_form=form)


@bp.post("/bills/<int:bill_id>/void")
@allow(*BOOKKEEPING)
def bill_void(bill_id: int):
    bill = _bill_or_404(bill_id)
    form = EmptyForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            bills.void_bill(bill=bill, user=current_user)
        if call.ok:
            flash(f"Bill {bill.invoice_number} voided; its units can be billed again.", "success")
    return redirect(url_for("backoffice.bill", bill_id=bill_id))


# --- what to pay, and how old it is -------------------------------------------------------


@bp.get("/bills/to-pay")
@allow(*BOOKKEEPING)
def bills_to_pay():
    try:
        by = date.fromisoformat(request.args.get("by", ""))
    except ValueError:  # none given, or not a day: a week ahead
        by = store_today() + timedelta(days=TO_PAY_DAYS)
    rows = payments.to_pay(by)
    return render_template(
        "backoffice/bills_to_pay.html",
        by=by,
        rows=rows,
        total=sum(b.open_amount for b in rows),
        today=store_today(),
    )


@bp.get("/payables/aging")
@allow(*BOOKKEEPING)
def payables_aging():
    return render_template(
        "backoffice/payables_aging.html",
        report=aging.aging(store_today()),
        buckets=aging.BUCKETS,
        keys=aging.KEYS,
    )


@bp.get("/payables/aging.csv")
@allow(*BOOKKEEPING)
def payables_aging_csv():
    report = aging.aging(store_today())
    lines = aging.aging_csv(report, current_app.config["BASE_CURRENCY"])
    return file_response(
        "".join(lines), f"payables-aging-{report.today.isoformat()}.csv", "text/csv"
    )
