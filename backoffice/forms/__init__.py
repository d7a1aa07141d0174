"""Forms of the back office, one module per area (catalogue, inventory, staff, orders,
shipping, tax, accounting, ...). The field types are shop.forms.fields, shared with the
storefront; here are the back office's base form and the pieces several areas use.
"""

from wtforms import Form, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from shop.catalogue import queries
from shop.forms import StoreForm
from shop.forms.fields import at_most, stripped, upper_code
from shop.inventory.services import MAX_MOVEMENT

MAX_GRAMS = 1_000_000  # one tonne
MAX_MM = 100_000  # one hundred metres
MAX_LEAD_DAYS = 365
MAX_STOCK = MAX_MOVEMENT
IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]


class BackofficeForm(StoreForm):
    """Every back-office form: text with control characters is refused beside its field."""


def category_choices(none_label: str | None = None) -> list[SelectChoice]:
    """Categories in tree order, indented by depth."""
    choices = [SelectChoice("", none_label)] if none_label is not None else []
    for category, depth in queries.category_tree():
        choices.append(SelectChoice(category.id, "\u2014 " * depth + category.name))
    return choices


def name_field(limit: int) -> StringField:
    return StringField("Name", validators=[DataRequired("Enter a name."), at_most(limit)])


def country_field() -> StringField:
    return StringField(
        "Country",
        default="CA",
        filters=[upper_code],
        validators=[DataRequired("Enter a two-letter country code, like CA."), at_most(2)],
    )


def province_field() -> StringField:
    return StringField(
        "Province",
        filters=[upper_code],
        validators=[DataRequired("Enter a province code, like ON."), at_most(3)],
    )


def text_field(label: str, limit: int, *validators) -> StringField:
    return StringField(label, filters=[stripped], validators=[*validators, at_most(limit)])


class StatusFilterForm(Form):
    """A status filter above a list (a GET: no CSRF); status_filter_form gives its choices."""

    def filters(self) -> dict:
        return {"status": self.status.data if not self.status.errors else None}

    def query_args(self) -> dict:
        return {"status": self.status.data} if self.status.data else {}


def status_filter_form(labels: dict[str, str]) -> type[StatusFilterForm]:
    """A status filter form whose choices are these statuses (code -> label)."""

    class Filter(StatusFilterForm):
        status = SelectField(
            "Status",
            choices=[SelectChoice("", "Any status")]
            + [SelectChoice(k, v) for k, v in labels.items()],
            default="",
            invalid_choice_message="Choose a status from the list.",
        )

    return Filter


def check_last_day(first_day, last_day) -> None:
    """A period's last day may not come before its first (both optional)."""
    if last_day.data and first_day.data and last_day.data < first_day.data:
        raise ValidationError("Choose a day on or after the first day.")


def readable(field):
    """A filter's value, or None when what was typed could not be read."""
    return field.data if not field.errors else None
