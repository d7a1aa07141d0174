"""The customer's returns: ask for a return of shipped lines, download the return slip.

Reached from the order page (its "Return items" button and the returns section,
templates/shop/returns/_order_returns.html), by whoever may see the order: its account,
the browser that placed it, or a guest with the order's link token (?t=...). Another
customer's order, or a request of another order, is not found.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from shop.forms import StoreForm, whole_number
from shop.returns import services as returns
from shop.returns import status as return_status
from shop.storefront.helpers import order_link, visible_order
from shop.views import file_response, service_call

bp = Blueprint("returns", __name__)

REASON_CHOICES = [
    SelectChoice("", "Choose a reason"),
    *(SelectChoice(key, label) for key, label in return_status.REASONS.items()),
]


class _Units(StringField):
    """How many units: plain digits; '' is 0."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = 0 if raw == "" else whole_number(raw)
        if self.data is None:
            raise ValueError("Enter a whole number, like 1.")


def request_form(lines: list[returns.Returnable]):
    """A form with, for each shipped line, how many units go back and why."""

    class ReturnRequestForm(StoreForm):
        note = TextAreaField(
            "Anything we should know? (optional)",
            validators=[Length(max=returns.MAX_NOTE, message="Use at most 1000 characters.")],
        )

        def asked(self) -> dict[int, tuple[int, str]]:
            return {
                r.line.id: (self[f"qty_{r.line.id}"].data or 0, self[f"reason_{r.line.id}"].data)
                for r in lines
            }

    for r in lines:
        setattr(ReturnRequestForm, f"qty_{r.line.id}", _Units(f"How many of {r.line.name}"))
        setattr(
            ReturnRequestForm,
            f"reason_{r.line.id}",
            SelectField("Why", choices=REASON_CHOICES, validate_choice=False, default=""),
        )
    return ReturnRequestForm()


@bp.route("/orders/<number>/returns/new", methods=["GET", "POST"])
def new(number: str):
    order = visible_order(number)
    lines = [r for r in returns.returnable_lines(order) if r.shipped]
    form = request_form(lines)
    if form.validate_on_submit():
        user = current_user if current_user.is_authenticated else None
        with service_call(form) as call:
            found = returns.request_return(
                order=order, lines=form.asked(), note=form.note.data or "", user=user
            )
        if call.ok:
            flash(
                f"Return {found.number} requested. We email you when it is authorised, "
                "with the return slip to put in the parcel.",
                "success",
            )
            return redirect(order_link(order, "returns"))
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "shop/returns/new.html",
        order=order,
        form=form,
        lines=lines,
        fields=[(r, form[f"qty_{r.line.id}"], form[f"reason_{r.line.id}"]) for r in lines],
        window_days=returns.store_settings().return_window_days,
        back=order_link(order),
    )
    return page, status


@bp.post("/orders/<number>/returns/<rma>/withdraw")
def withdraw(number: str, rma: str):
    order = visible_order(number)
    found = returns.request_of_order(order, rma)
    if found is None:
        abort(404)
    form = StoreForm()
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(order_link(order, "returns"))
    with service_call() as call:
        user = current_user if current_user.is_authenticated else None
        returns.withdraw_return(request=found, user=user)
    if call.ok:
        flash(f"Return {found.number} withdrawn: keep the items.", "success")
    return redirect(order_link(order, "returns"))


@bp.get("/orders/<number>/returns/<rma>.pdf")
def slip(number: str, rma: str):
    order = visible_order(number)
    found = returns.request_of_order(order, rma)
    if found is None or not returns.slip_available(found):
        abort(404)
    return file_response(returns.slip_pdf(found), f"{found.number}.pdf", returns.PDF, inline=True)


@bp.app_template_global()
def order_returns(order) -> dict:
    """What the order page's returns section shows (templates/shop/returns/_order_returns.html)."""
    return {
        "requests": returns.requests_of(order),
        "can_ask": returns.can_ask(order),
        "refunded": returns.refunded_by_request(order),
    }
