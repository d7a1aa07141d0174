"""Forms of purchasing: suppliers, purchase orders and their lines, receiving, reorder."""

import sqlalchemy as sa
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Optional

from backoffice.forms import MAX_LEAD_DAYS, BackofficeForm, name_field
from shop.extensions import db
from shop.forms.fields import (
    DayField,
    IdSelectField,
    MoneyField,
    Required,
    WholeNumberField,
    at_most,
    between,
    id_or_none,
    stripped,
)
from shop.inventory.services import MAX_MOVEMENT
from shop.purchasing.models import Supplier


def _currency_code(value):
    return value.strip().upper() if isinstance(value, str) else value


class SupplierForm(BackofficeForm):
    name = name_field(120)
    contact_name = StringField("Contact person", filters=[stripped], validators=[at_most(120)])
    email = EmailField(
        "Email for purchase orders",
        filters=[stripped],
        validators=[Optional(), at_most(254), Email("Enter a valid email address.")],
    )
    phone = StringField("Phone", filters=[stripped], validators=[at_most(30)])
    lead_time_days = WholeNumberField(
        "Lead time (days from ordering to delivery)",
        default=14,
        validators=[Required("Enter the lead time in days."), between(0, MAX_LEAD_DAYS)],
    )
    currency = StringField(
        "Currency",
        default="CAD",
        filters=[_currency_code],
        validators=[DataRequired("Enter a three-letter currency code, like CAD."), at_most(3)],
    )
    payment_terms_days = WholeNumberField(
        "Payment terms (days from the bill to its due date; 30 is Net 30)",
        default=30,
        validators=[Required("Enter the payment terms in days."), between(0, MAX_LEAD_DAYS)],
    )
    province = StringField(
        "Province the supplier charges tax from (like ON; checks the tax on its bills)",
        filters=[stripped],
        validators=[at_most(3)],
    )

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "contact_name": self.contact_name.data,
            "email": self.email.data,
            "phone": self.phone.data,
            "lead_time_days": self.lead_time_days.data,
            "currency": self.currency.data,
            "payment_terms_days": self.payment_terms_days.data,
            "province": self.province.data,
        }


class PurchaseOrderForm(BackofficeForm):
    supplier_id = IdSelectField("Supplier", message="Choose a supplier from the list.")
    expected_date = DayField(
        "Expected delivery (empty: the supplier's lead time from sending)", validators=[Optional()]
    )
    note = TextAreaField("Note to the supplier", validators=[at_most(2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        suppliers = db.session.scalars(sa.select(Supplier).order_by(Supplier.name))
        self.supplier_id.choices = [SelectChoice(s.id, s.name) for s in suppliers]


class PurchaseOrderEditForm(BackofficeForm):
    expected_date = DayField("Expected delivery", validators=[Optional()])
    note = TextAreaField("Note to the supplier", validators=[at_most(2000)])


class PurchaseOrderLineForm(BackofficeForm):
    sku = StringField(
        "SKU", filters=[stripped], validators=[DataRequired("Enter a SKU."), at_most(40)]
    )
    quantity = WholeNumberField(
        "Quantity",
        validators=[Required("Enter how many units to order."), between(1, MAX_MOVEMENT)],
    )
    unit_cost = MoneyField(
        "Unit cost ($)", validators=[Required("Enter the unit cost, like 12.50.")]
    )
    expected_date = DayField("Expected (empty: the order's date)", validators=[Optional()])


class ReceiveForm(BackofficeForm):
    """Units arrived per line; receive_form() adds one field per purchase-order line and
    the "receive more than ordered" box after them."""

    def quantities(self) -> dict[int, int]:
        return {
            int(f.name.removeprefix("line_")): f.data or 0
            for f in self
            if f.name.startswith("line_")
        }


def receive_form(po, **kwargs) -> ReceiveForm:
    """A receiving form for this purchase order: each line's field starts at what is due."""

    class LinesReceiveForm(ReceiveForm):
        """The receiving form with a quantity field per line, added below."""

    for line in po.lines:
        field = WholeNumberField(
            f"{line.variant.sku} (ordered {line.quantity}, received {line.quantity_received})",
            default=line.outstanding,
            validators=[Optional(), between(0, MAX_MOVEMENT)],
        )
        setattr(LinesReceiveForm, f"line_{line.id}", field)
    LinesReceiveForm.allow_over = BooleanField(
        "Receive more than ordered (the supplier sent extra and we keep it)"
    )
    return LinesReceiveForm(**kwargs)


class IdListField(StringField):
    """Every value sent under the field's name (ticked checkboxes), as ids."""

    def process_formdata(self, valuelist):
        try:
            self.data = [i for i in (id_or_none(v) for v in valuelist) if i is not None]
        except ValueError:
            self.data = []
            raise ValueError("Tick variants from the list.") from None

    def _value(self) -> str:
        return ""


class ReorderForm(BackofficeForm):
    """The variants ticked on the reorder list and, per row, the quantity to order;
    reorder_form() adds one quantity field per row of the list."""

    variant_ids = IdListField("Variants")

    def quantity_field(self, variant_id: int):
        return getattr(self, f"quantity_{variant_id}", None)

    def quantities(self) -> dict[int, int | None]:
        """The quantity typed for each ticked variant (None: left empty)."""
        return {
            variant_id: field.data
            for variant_id in self.variant_ids.data or ()
            if (field := self.quantity_field(variant_id)) is not None
        }

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Only a ticked row's quantity must be there; an unticked row is not ordered.
        for variant_id in self.variant_ids.data or ():
            field = self.quantity_field(variant_id)
            if field is not None and field.data is None and not field.errors:
                field.errors = [*field.errors, "Enter how many to order."]
                ok = False
        return ok


def reorder_form(rows, **kwargs) -> ReorderForm:
    """The reorder form for these rows of the list: each quantity starts at the suggestion."""

    class RowsReorderForm(ReorderForm):
        """The reorder form with a quantity field per row, added below."""

    for row in rows:
        field = WholeNumberField(
            f"Quantity of {row.variant.sku}",
            default=row.suggested,
            validators=[Optional(), between(1, MAX_MOVEMENT)],
        )
        setattr(RowsReorderForm, f"quantity_{row.variant.id}", field)
    return RowsReorderForm(**kwargs)
