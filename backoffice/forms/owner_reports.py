"""The owner's report filters."""

from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from backoffice.forms import category_choices, check_last_day
from shop import clock
from shop.forms.fields import DayField, IdSelectField, day_arg
from shop.reports import filters as report_filters
from shop.reports import periods as report_periods


class ReportFilterForm(Form):
    """The owner's report filters, read from the query string: a named period or chosen
    days, a category, a channel and how to group over time."""

    period = SelectField(
        "Period",
        choices=[SelectChoice(k, v) for k, v in report_periods.PRESETS.items()],
        default=report_periods.DEFAULT_PRESET,
        invalid_choice_message="Choose a period from the list.",
    )
    date_from = DayField("From", validators=[Optional()])
    date_to = DayField("Up to", validators=[Optional()])
    category = IdSelectField("Category", message="Choose a category from the list.")
    channel = SelectField(
        "Channel",
        choices=[SelectChoice("", "All channels")]
        + [SelectChoice(k, v) for k, v in report_filters.CHANNELS.items()],
        default="",
        invalid_choice_message="Choose a channel from the list.",
    )
    grain = SelectField(
        "Per",
        choices=[SelectChoice("", "Automatic")]
        + [SelectChoice(k, v) for k, v in report_periods.GRAINS.items()],
        default="",
        invalid_choice_message="Choose day, week or month.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices("All categories")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Here, not in validate_date_from: Optional() stops an empty field's validators.
        if self.period.data == "custom" and not self.date_from.data and not self.date_from.errors:
            self.date_from.errors.append("Choose the first day, or a named period.")
            return False
        return ok

    def validate_date_to(self, field):
        check_last_day(self.date_from, field)
        if field.data and field.data > clock.store_today():
            raise ValidationError("Choose a day up to today.")

    def _ok(self, name: str):
        field = getattr(self, name)
        return field.data if not field.errors else None

    def chosen(self) -> tuple[report_filters.ReportFilters, str]:
        """The filters to report on and the grain; what could not be read falls back to
        the last 30 days, all categories, all channels."""
        today = clock.store_today()
        preset = self._ok("period") or report_periods.DEFAULT_PRESET
        start, end = self._ok("date_from"), self._ok("date_to")
        if preset == "custom" and start and not self.date_to.errors:
            chosen = report_periods.Period(start, end or today)
        else:
            chosen = report_periods.preset_period(preset, today)
        filters = report_filters.ReportFilters(
            chosen, category_id=self._ok("category"), channel=self._ok("channel") or None
        )
        return filters, self._ok("grain") or chosen.default_grain()

    def query_args(self) -> dict:
        args = {"date_from": day_arg(self.date_from), "date_to": day_arg(self.date_to)}
        for name in ("period", "category", "channel", "grain"):
            args[name] = self._ok(name)
        return {k: v for k, v in args.items() if v}
