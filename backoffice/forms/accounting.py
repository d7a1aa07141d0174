"""Forms of the books: the journal and invoice lists' filters, accounts, a manual entry."""

from datetime import date

from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from backoffice.forms import BackofficeForm, check_last_day, name_field, readable
from shop.forms.fields import (
    DayField,
    IdSelectField,
    MoneyField,
    Required,
    at_most,
    day_arg,
    upper_code,
    without_nul,
)

MANUAL_ENTRY_LINES = 6


class PeriodForm(Form):
    """A range of days, read from the query string; either end may be left open."""

    date_from = DayField("From", validators=[Optional()])
    date_to = DayField("Up to", validators=[Optional()])

    def validate_date_to(self, field):
        check_last_day(self.date_from, field)

    def period(self) -> tuple[date | None, date | None]:
        """The days to report on; a day that could not be read is left open."""
        start = self.date_from.data if not self.date_from.errors else None
        end = self.date_to.data if not self.date_to.errors else None
        return start, end

    def query_args(self) -> dict:
        args = {"date_from": day_arg(self.date_from), "date_to": day_arg(self.date_to)}
        return {k: v for k, v in args.items() if v}


class JournalFilterForm(PeriodForm):
    account = IdSelectField("Account", message="Choose an account from the list.")
    source = SelectField("Source", default="", invalid_choice_message="Choose from the list.")

    def __init__(self, *args, accounts=(), sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.account.choices = [SelectChoice("", "Any account")] + [
            SelectChoice(a.id, f"{a.code} {a.name}") for a in accounts
        ]
        self.source.choices = [SelectChoice("", "Any source")] + [
            SelectChoice(s, s.replace("_", " ").capitalize()) for s in sources
        ]

    def filters(self) -> dict:
        start, end = self.period()
        return {
            "date_from": start,
            "date_to": end,
            "account_id": self.account.data if not self.account.errors else None,
            "source_type": (self.source.data if not self.source.errors else None) or None,
        }

    def query_args(self) -> dict:
        args = super().query_args()
        if self.account.data and not self.account.errors:
            args["account"] = self.account.data
        if self.source.data and not self.source.errors:
            args["source"] = self.source.data
        return args


class InvoiceFilterForm(Form):
    q = StringField("Number or email", filters=[without_nul], validators=[at_most(200)])
    kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("", "Invoices and credit notes"),
            SelectChoice("invoice", "Invoices"),
            SelectChoice("credit_note", "Credit notes"),
        ],
        default="",
        invalid_choice_message="Choose from the list.",
    )
    status = SelectField("Status", default="", invalid_choice_message="Choose from the list.")
    issued_from = DayField("Issued from", validators=[Optional()])
    issued_to = DayField("Issued up to", validators=[Optional()])

    def __init__(self, *args, statuses: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", "Any status")] + [
            SelectChoice(k, v) for k, v in (statuses or {}).items()
        ]

    def validate_issued_to(self, field):
        check_last_day(self.issued_from, field)

    def filters(self) -> dict:
        return {
            "text": readable(self.q) or "",
            "kind": readable(self.kind) or None,
            "status": readable(self.status) or None,
            "issued_from": readable(self.issued_from),
            "issued_to": readable(self.issued_to),
        }

    def query_args(self) -> dict:
        args = {
            "q": self.q.data,
            "kind": self.kind.data,
            "status": self.status.data,
            "issued_from": day_arg(self.issued_from),
            "issued_to": day_arg(self.issued_to),
        }
        return {k: v for k, v in args.items() if v}


ACCOUNT_TYPE_CHOICES = [
    SelectChoice("asset", "Asset"),
    SelectChoice("liability", "Liability"),
    SelectChoice("equity", "Equity"),
    SelectChoice("income", "Income"),
    SelectChoice("expense", "Expense"),
]


def _account_code() -> StringField:
    return StringField(
        "Code", filters=[upper_code], validators=[DataRequired("Enter a code, like 4010.")]
    )


class AccountForm(BackofficeForm):
    code = _account_code()
    name = name_field(100)
    is_active = BooleanField("Active (offered for manual entries)", default=True)


class NewAccountForm(BackofficeForm):
    code = _account_code()
    name = name_field(100)
    type = SelectField(
        "Type", choices=ACCOUNT_TYPE_CHOICES, invalid_choice_message="Choose a type from the list."
    )


class JournalLineForm(Form):
    account_id = IdSelectField("Account", message="Choose an account from the list.")
    debit = MoneyField("Debit ($)")
    credit = MoneyField("Credit ($)")
    memo = StringField("Memo", filters=[without_nul], validators=[at_most(200)])


class ManualEntryForm(BackofficeForm):
    on = DayField("Date", validators=[Required("Enter the date of the entry, like 2026-03-31.")])
    description = StringField(
        "Description", validators=[DataRequired("Say what the entry is for."), at_most(300)]
    )
    lines = FieldList(
        FormField(JournalLineForm),
        min_entries=MANUAL_ENTRY_LINES,
        max_entries=MANUAL_ENTRY_LINES,
    )

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice("", "\u2014")] + [
            SelectChoice(a.id, f"{a.code} {a.name}") for a in accounts
        ]
        for entry in self.lines:
            entry.form.account_id.choices = choices

    def validate_lines(self, field):
        for entry in field:
            line = entry.form
            if (line.debit.data or line.credit.data) and line.account_id.data is None:
                line.account_id.errors = [*line.account_id.errors, "Choose the account."]
                raise ValidationError("Each line with an amount needs its account.")

    def entry_lines(self) -> list[dict]:
        """The lines with an amount, in cents."""
        return [
            {
                "account_id": e.form.account_id.data,
                "debit": e.form.debit.minor_units(),
                "credit": e.form.credit.minor_units(),
                "memo": (e.form.memo.data or "").strip(),
            }
            for e in self.lines
            if e.form.debit.data or e.form.credit.data
        ]
