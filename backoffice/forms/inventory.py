"""Forms of stock: an adjustment by hand and a count."""

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from backoffice.forms import MAX_STOCK, BackofficeForm
from shop.forms.fields import Required, WholeNumberField, at_most, between
from shop.inventory import reasons
from shop.inventory.services import MAX_MOVEMENT

ADJUST_REASONS = [r for r in reasons.MANUAL if r != reasons.COUNT]


class StockAdjustForm(BackofficeForm):
    quantity = WholeNumberField(
        "Change (e.g. 5 to add, -2 to remove)",
        validators=[Required("Enter how many units to add or remove.")],
    )
    reason = SelectField(
        "Reason",
        choices=[SelectChoice(r, reasons.LABELS[r]) for r in ADJUST_REASONS],
        default=ADJUST_REASONS[0],
        invalid_choice_message="Choose a reason from the list.",
    )
    note = StringField("Note", validators=[at_most(200)])

    def validate_quantity(self, field):
        if field.data == 0 or abs(field.data) > MAX_MOVEMENT:
            raise ValidationError(
                f"Enter a whole number of units from -{MAX_MOVEMENT:,} to {MAX_MOVEMENT:,}, not 0."
            )


class StockCountForm(BackofficeForm):
    counted = WholeNumberField(
        "Units counted on the shelf",
        validators=[Required("Enter the number of units counted."), between(0, MAX_STOCK)],
    )
    note = StringField("Note", validators=[at_most(200)])
