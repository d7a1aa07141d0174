"""Forms of the back office's returns: the status filter, the decision, the parcel's receipt."""

from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from backoffice.forms import BackofficeForm, status_filter_form
from shop.forms.fields import PercentField, Required, WholeNumberField
from shop.returns import status as return_status
from shop.returns.services import MAX_NOTE, Receipt

NOTE_LENGTH = Length(max=MAX_NOTE, message=f"Use at most {MAX_NOTE} characters.")


ReturnFilterForm = status_filter_form(return_status.LABELS)


class DecisionForm(BackofficeForm):
    """Authorise or refuse: the note goes to the customer (required to refuse)."""

    note = TextAreaField("Note to the customer", validators=[NOTE_LENGTH])


def receipt_form(request, terms):
    """Per line of the request: units resellable and damaged; then the refund's terms."""

    class ReceiptForm(BackofficeForm):
        restocking_fee_percent = PercentField(
            "Restocking fee (%)", validators=[Required("Enter the fee, 0 for none.")]
        )
        refund_shipping = BooleanField("Give the shipping back")
        note = TextAreaField("Note (kept with the return)", validators=[NOTE_LENGTH])

        def received(self) -> dict[int, Receipt]:
            return {
                line.id: Receipt(
                    self[f"resellable_{line.id}"].data or 0, self[f"damaged_{line.id}"].data or 0
                )
                for line in request.lines
            }

        def fee_percent(self):
            """The fee as a percentage (15 for 15 %), as the refund takes it."""
            return self.restocking_fee_percent.data * 100

        def line_fields(self):
            return [
                (line, self[f"resellable_{line.id}"], self[f"damaged_{line.id}"])
                for line in request.lines
            ]

    for line in request.lines:
        setattr(ReceiptForm, f"resellable_{line.id}",
                WholeNumberField("Resellable", default=line.quantity))  # fmt: skip
        setattr(ReceiptForm, f"damaged_{line.id}", WholeNumberField("Damaged", default=0))
    form = ReceiptForm()
    if not form.is_submitted():
        form.restocking_fee_percent.data = terms.restocking_fee_percent / 100
        form.refund_shipping.data = terms.shipping
    return form
