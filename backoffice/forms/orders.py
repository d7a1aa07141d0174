"""Forms of the order list and of cancelling an order."""

from wtforms import BooleanField, Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from backoffice.forms import BackofficeForm, check_last_day, readable
from shop.forms.fields import DayField, at_most, without_nul
from shop.orders import status as order_status


class OrderFilterForm(Form):
    """The filters above the order list, read from the query string (a GET: no CSRF)."""

    q = StringField("Order number or email", filters=[without_nul], validators=[at_most(200)])
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(k, v) for k, v in order_status.LABELS.items()],
        default="",
        invalid_choice_message="Choose a status from the list.",
    )
    placed_from = DayField("Placed from", validators=[Optional()])
    placed_to = DayField("Placed up to", validators=[Optional()])
    backordered = BooleanField("Only orders with backorders")

    def validate_placed_to(self, field):
        check_last_day(self.placed_from, field)

    def filters(self) -> dict:
        """What to filter by; a filter whose text could not be read is left out."""

        return {
            "text": readable(self.q) or "",
            "status": readable(self.status) or None,
            "placed_from": readable(self.placed_from),
            "placed_to": readable(self.placed_to),
            "backordered": bool(self.backordered.data),
        }

    def query_args(self) -> dict:
        """The filters as the query string holds them, for the pager's links."""
        return {
            name: value
            for name, value in (
                ("q", self.q.data),
                ("status", self.status.data),
                ("placed_from", self.placed_from.raw_data[0] if self.placed_from.raw_data else ""),
                ("placed_to", self.placed_to.raw_data[0] if self.placed_to.raw_data else ""),
                ("backordered", "y" if self.backordered.data else ""),
            )
            if value
        }


class CancelOrderForm(BackofficeForm):
    reason = StringField("Reason (kept in the order's history)", validators=[at_most(200)])
