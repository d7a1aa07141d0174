"""Forms of supplier bills and their payments: entering a bill (a field per received
purchase-order line, the tax per component, other charges), scheduling and recording
a payment, and the bills list's filters."""

from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from backoffice.forms import BackofficeForm
from shop.clock import store_today
from shop.forms.fields import (
    DayField,
    IdSelectField,
    MoneyField,
    Required,
    WholeNumberField,
    at_most,
    between,
    stripped,
)
from shop.inventory.services import MAX_MOVEMENT
from shop.payables import bills
from shop.payables import models as m

CHARGE_ROWS = 2  # freight, duty: more than two other charges on one bill is rare


class BillForm(BackofficeForm):
    invoice_number = StringField(
        "Supplier's invoice number",
        filters=[stripped],
        validators=[DataRequired("Enter the supplier's invoice number."), at_most(60)],
    )
    bill_date = DayField(
        "Invoice date", default=store_today, validators=[Required("Enter the invoice date.")]
    )
    due_date = DayField("Due date (empty: the supplier's terms)", validators=[Optional()])
    note = TextAreaField("Note", validators=[at_most(2000)])

    def draft(self, proposed, charge_count: int = CHARGE_ROWS) -> bills.Draft:
        """What was typed, as the service reads it (cents, ids)."""
        goods = [
            bills.Goods(
                p.line.id,
                self[bills.goods_field(p.line.id, "quantity")].data or 0,
                self[bills.goods_field(p.line.id, "unit_cost")].minor_units(),
            )
            for p in proposed
        ]
        charges = [
            bills.Charge(
                self[bills.charge_field(i, "account")].data,
                self[bills.charge_field(i, "description")].data or "",
                self[bills.charge_field(i, "amount")].minor_units(),
            )
            for i in range(charge_count)
        ]
        taxes = {c: self[bills.tax_field(c)].minor_units() for c in bills.TAX_COMPONENTS}
        return bills.Draft(
            invoice_number=self.invoice_number.data or "",
            bill_date=self.bill_date.data,
            due_date=self.due_date.data,
            goods=goods,
            charges=charges,
            taxes={c: amount for c, amount in taxes.items() if amount},
            note=self.note.data or "",
        )


def bill_form(proposed, accounts, **kwargs) -> BillForm:
    """The bill form for a purchase order: each received line starts at what is waiting to
    be billed, at the PO's unit cost (the store's proposal)."""

    class LinesBillForm(BillForm):
        """The bill form with fields per line, added below."""

    for p in proposed:
        setattr(
            LinesBillForm,
            bills.goods_field(p.line.id, "quantity"),
            WholeNumberField(
                f"{p.line.variant.sku} units billed",
                default=p.to_bill,
                validators=[Optional(), between(0, MAX_MOVEMENT)],
            ),
        )
        setattr(
            LinesBillForm,
            bills.goods_field(p.line.id, "unit_cost"),
            MoneyField(f"{p.line.variant.sku} unit cost ($)", default=p.line.unit_cost),
        )
    choices = [SelectChoice("", "(choose an expense account)")] + [
        SelectChoice(a.id, f"{a.code} {a.name}") for a in accounts
    ]
    for i in range(CHARGE_ROWS):
        setattr(
            LinesBillForm,
            bills.charge_field(i, "description"),
            StringField("Other charge", filters=[stripped], validators=[at_most(200)]),
        )
        setattr(
            LinesBillForm,
            bills.charge_field(i, "account"),
            IdSelectField("Account", choices=choices, message="Choose an account from the list."),
        )
        setattr(LinesBillForm, bills.charge_field(i, "amount"), MoneyField("Amount ($)"))
    for component in bills.TAX_COMPONENTS:
        setattr(LinesBillForm, bills.tax_field(component), MoneyField(f"{component} ($)"))
    return LinesBillForm(**kwargs)


class ScheduleForm(BackofficeForm):
    pay_on = DayField("Pay on (empty: unscheduled)", validators=[Optional()])


class PaymentForm(BackofficeForm):
    paid_on = DayField("Paid on", validators=[Required("Enter the date of the payment.")])
    method = SelectField(
        "Method",
        choices=[SelectChoice(k, label) for k, label in m.METHODS.items()],
        invalid_choice_message="Choose cheque or EFT.",
    )
    reference = StringField(
        "Cheque number or EFT reference",
        filters=[stripped],
        validators=[DataRequired("Enter the cheque number or the EFT reference."), at_most(60)],
    )
    amount = MoneyField("Amount ($)", validators=[Required("Enter the amount paid.")])


class BillFilterForm(Form):
    """The bills list's filters, from the query string (a GET: no CSRF)."""

    supplier = IdSelectField("Supplier", message="Choose a supplier from the list.")
    status = SelectField("Status", default="", invalid_choice_message="Choose from the list.")
    age = SelectField("Past due", default="", invalid_choice_message="Choose from the list.")

    def __init__(self, *args, suppliers=(), ages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.supplier.choices = [SelectChoice("", "Any supplier")] + [
            SelectChoice(s.id, s.name) for s in suppliers
        ]
        self.status.choices = [
            SelectChoice("", "Any status"),
            SelectChoice("unpaid", "Not paid yet"),
        ] + [SelectChoice(k, label) for k, label in m.STATUS_LABELS.items()]
        self.age.choices = [SelectChoice("", "Any")] + [SelectChoice(k, lab) for k, lab in ages]

    def chosen(self, name: str):
        field = self[name]
        return field.data if field.data and not field.errors else None

    def query_args(self) -> dict:
        """The filters chosen, for the pager's links."""
        chosen = {name: self.chosen(name) for name in ("supplier", "status", "age")}
        return {name: value for name, value in chosen.items() if value}
