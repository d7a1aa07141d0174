"""The form staff refund an order with: units per line, the shipping, a restocking fee, or
an amount of goodwill, and a note for the history and the credit note."""

from decimal import Decimal

from flask import current_app
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from backoffice.forms import BackofficeForm
from shop.forms.fields import MoneyField, PercentField, WholeNumberField, at_most, between
from shop.money import to_minor_units


class RefundForm(BackofficeForm):
    shipping = BooleanField("Give back the shipping charged (what is left of it)")
    restocking_fee = PercentField("Restocking fee kept from the goods, %", validators=[Optional()])
    amount = MoneyField(
        "Or an amount instead of items (goodwill), e.g. 10.00", validators=[Optional()]
    )
    note = StringField("Note (the history and the credit note show it)", validators=[at_most(200)])

    def units(self) -> dict[int, int]:
        """Order line id -> units typed, leaving out the empty and zero ones."""
        chosen = {}
        for name, field in self._fields.items():
            if name.startswith("line_") and field.data:
                chosen[int(name.removeprefix("line_"))] = field.data
        return chosen

    def fee_percent(self) -> Decimal:
        return (self.restocking_fee.data or Decimal(0)) * 100  # the field keeps a fraction

    def amount_minor(self) -> int | None:
        if self.amount.data is None:
            return None
        return to_minor_units(self.amount.data, current_app.config["BASE_CURRENCY"])


def refund_form(order, refunded: dict[int, int], **kwargs) -> RefundForm:
    """A refund form for this order: a units field per line, up to what is left of it."""

    class OrderRefundForm(RefundForm):
        """The refund form with a field per order line, added below."""

    for line in order.lines:
        left = line.quantity - refunded.get(line.id, 0)
        field = WholeNumberField(
            f"{line.sku} {line.name} (bought {line.quantity}, {left} left to refund)",
            validators=[Optional(), between(0, max(left, 0))],
        )
        setattr(OrderRefundForm, f"line_{line.id}", field)
    return OrderRefundForm(**kwargs)
