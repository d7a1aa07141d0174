"""The forms of the statements, tax returns and period close pages."""

from wtforms import BooleanField, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from backoffice.forms.accounting import PeriodForm
from shop.books.tax_returns import FREQUENCIES, QUARTERLY
from shop.formatting import local_date
from shop.forms import StoreForm
from shop.forms.fields import DayField


def _books_day(label: str) -> DayField:
    # A statement reaches back a period and forward a day from the one asked.
    return DayField(label, validators=[Optional()])


class StatementPeriodForm(PeriodForm):
    """The P&L's days (the month so far when left open), with the previous period beside."""

    date_from = _books_day("From")
    date_to = _books_day("Up to")
    compare = BooleanField("Compare with the previous period")

    def query_args(self) -> dict:
        args = super().query_args()
        if self.compare.data:
            args["compare"] = "y"
        return args


class DayForm(Form):
    """The balance sheet's day (today when left open)."""

    at = _books_day("At the end of")

    def day(self):
        return self.at.data if not self.at.errors else None


class FilingPeriodForm(Form):
    frequency = SelectField(
        "Filing period",
        choices=[SelectChoice(k, v) for k, v in FREQUENCIES.items()],
        default=QUARTERLY,
        invalid_choice_message="Choose from the list.",
    )
    day = _books_day("The period holding")

    def chosen(self, today):
        frequency = self.frequency.data if not self.frequency.errors else QUARTERLY
        day = self.day.data if self.day.data and not self.day.errors else today
        return frequency or QUARTERLY, day


class CloseForm(StoreForm):
    closed_through = SelectField("Close the books through", validators=[DataRequired()])

    def __init__(self, *args, month_ends=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.closed_through.choices = [
            SelectChoice(d.isoformat(), f"{local_date(d, 'MMMM y')} (through {local_date(d)})")
            for d in month_ends
        ]


class ReopenForm(StoreForm):
    """Only the button (and its CSRF token)."""
