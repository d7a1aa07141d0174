"""Forms of the back office: catalogue, stock, staff, orders, shipping and tax.

Fields parse what a person types (whole numbers, dollar amounts, ids from a
list) and refuse anything else with a plain message beside the field; the
services then decide whether the change itself is allowed.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from shop import clock
from shop.accounts import roles
from shop.catalogue import queries
from shop.extensions import db
from shop.forms import NewPassword, StoreForm, whole_number
from shop.fulfilment import status as shipment_status
from shop.fulfilment.services import ParcelEntry
from shop.inventory import reasons
from shop.inventory.services import MAX_MOVEMENT
from shop.money import to_decimal, to_minor_units
from shop.orders import status as order_status
from shop.purchasing.models import Supplier
from shop.reports import filters as report_filters
from shop.reports import periods as report_periods
from shop.tax.models import TaxClass
from shop.tax.services import COMPONENTS

MAX_PRICE_DIGITS = 7  # up to 9,999,999.99 in the base currency
MAX_GRAMS = 1_000_000  # one tonne
MAX_MM = 100_000  # one hundred metres
MAX_LEAD_DAYS = 365
MAX_STOCK = MAX_MOVEMENT
IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
ADJUST_REASONS = [r for r in reasons.MANUAL if r != reasons.COUNT]
AMOUNT = re.compile(rf"[0-9]{{1,{MAX_PRICE_DIGITS}}}(\.[0-9]{{1,2}})?")


class Required:
    """The field must hold a value once read ('' or only spaces is none; 0 is a value)."""

    def __init__(self, message: str):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if field.data is None:
            raise StopValidation(self.message)


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def _at_most(n: int) -> Length:
    return Length(max=n, message=f"Use at most {n} characters.")


def _between(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, f"Enter a whole number from {low:,} to {high:,}.")


class BackofficeForm(StoreForm):
    """Every back-office form: text with control characters is refused beside its field."""


class _OneMessage:
    """When the text cannot be read, say so once: no range check on top."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class WholeNumberField(_OneMessage, IntegerField):
    """A whole number as a person types it: 'abc' or '1.5' is refused plainly; '' is none."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip().replace(",", "")
        self.data = whole_number(raw)
        if self.data is None and raw != "":
            raise ValueError("Enter a whole number, like 5.")


class MoneyField(_OneMessage, StringField):
    """An amount typed as dollars and cents ("24.99"), kept as Decimal, stored as cents."""

    def process_data(self, value):
        if isinstance(value, int):
            value = to_decimal(value, current_app.config["BASE_CURRENCY"])
        self.data = value

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip().replace(",", "").removeprefix("$")
        if raw == "":
            self.data = None
            return
        if not AMOUNT.fullmatch(raw):
            self.data = None
            raise ValueError("Enter an amount in dollars and cents, like 24.99.")
        self.data = Decimal(raw)

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)

    def minor_units(self) -> int:
        """The amount in integer cents (0 when left empty)."""
        if self.data is None:
            return 0
        return to_minor_units(self.data, current_app.config["BASE_CURRENCY"])


def _id_or_none(value):
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise ValueError("not an id")
    return int(text)


class IdSelectField(SelectField):
    """A select of database ids; the empty choice ("") means none."""

    def __init__(self, label=None, validators=None, message="Choose from the list.", **kwargs):
        super().__init__(
            label,
            validators,
            coerce=_id_or_none,
            invalid_value_message=message,
            invalid_choice_message=message,
            **kwargs,
        )


class EmptyForm(BackofficeForm):
    """Only the CSRF token: for buttons such as Remove."""


# --- catalogue -------------------------------------------------------------------


def category_choices(none_label: str | None = None) -> list[SelectChoice]:
    """Categories in tree order, indented by depth."""
    choices = [SelectChoice("", none_label)] if none_label is not None else []
    for category, depth in queries.category_tree():
        choices.append(SelectChoice(category.id, "\u2014 " * depth + category.name))
    return choices


class CategoryForm(BackofficeForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), _at_most(80)])
    # Every category is offered; the service refuses a parent inside the category itself.
    parent_id = IdSelectField("Parent category", validate_choice=False)
    description = TextAreaField("Description", validators=[_at_most(5000)])
    position = WholeNumberField("Position in menus", default=0, validators=[_between(0, 10_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = category_choices("(top level)")

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "parent_id": self.parent_id.data,
            "description": self.description.data or "",
            "position": self.position.data or 0,
        }


class ProductForm(BackofficeForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), _at_most(120)])
    description = TextAreaField("Description", validators=[_at_most(20_000)])
    category_id = IdSelectField("Category", message="Choose a category from the list.")
    option1_name = StringField("First option name (e.g. Size)", validators=[_at_most(30)])
    option2_name = StringField("Second option name (e.g. Colour)", validators=[_at_most(30)])
    is_active = BooleanField("Shown in the shop", default=True)
    backorderable = BooleanField("Customers may order it when out of stock", default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = category_choices()

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "description": self.description.data or "",
            "category_id": self.category_id.data,
            "option1_name": self.option1_name.data or "",
            "option2_name": self.option2_name.data or "",
            "is_active": self.is_active.data,
            "backorderable": self.backorderable.data,
        }


class VariantForm(BackofficeForm):
    sku = StringField("SKU", validators=[DataRequired("Enter a SKU."), _at_most(40)])
    option1 = StringField("First option value", validators=[_at_most(40)])
    option2 = StringField("Second option value", validators=[_at_most(40)])
    price = MoneyField("Price ($)", validators=[Required("Enter a price, like 24.99.")])
    cost = MoneyField("Cost ($)")
    weight_g = WholeNumberField("Weight (g)", default=0, validators=[_between(0, MAX_GRAMS)])
    length_mm = WholeNumberField("Length (mm)", default=0, validators=[_between(0, MAX_MM)])
    width_mm = WholeNumberField("Width (mm)", default=0, validators=[_between(0, MAX_MM)])
    height_mm = WholeNumberField("Height (mm)", default=0, validators=[_between(0, MAX_MM)])
    tax_class_id = IdSelectField("Tax class", message="Choose a tax class from the list.")
    barcode = StringField("Barcode (GTIN/UPC/EAN)", validators=[_at_most(40)])
    is_active = BooleanField("On sale", default=True)
    reorder_point = WholeNumberField(
        "Reorder point", default=0, validators=[_between(0, MAX_STOCK)]
    )
    reorder_quantity = WholeNumberField(
        "Reorder quantity", default=0, validators=[_between(0, MAX_STOCK)]
    )
    supplier_id = IdSelectField("Supplier", message="Choose a supplier from the list.")
    lead_time_days = WholeNumberField(
        "Lead time (days; empty: the supplier's)",
        validators=[Optional(), _between(0, MAX_LEAD_DAYS)],
    )
    bin_location = StringField("Bin location", validators=[_at_most(20)])

    STOCK_FIELDS = (
        "reorder_point", "reorder_quantity", "supplier_id", "lead_time_days", "bin_location",
    )  # fmt: skip

    def __init__(self, *args, stock=None, product=None, **kwargs):
        if stock is not None:
            # The stock settings live on the variant's stock row, not on the variant.
            kwargs["data"] = {name: getattr(stock, name) for name in self.STOCK_FIELDS}
        super().__init__(*args, **kwargs)
        if product is not None and product.option1_name:
            self.option1.label.text = product.option1_name
        if product is not None and product.option2_name:
            self.option2.label.text = product.option2_name
        tax_classes = db.session.scalars(sa.select(TaxClass).order_by(TaxClass.name))
        self.tax_class_id.choices = [SelectChoice(t.id, t.name) for t in tax_classes]
        suppliers = db.session.scalars(sa.select(Supplier).order_by(Supplier.name))
        self.supplier_id.choices = [SelectChoice("", "(none)")] + [
            SelectChoice(s.id, s.name) for s in suppliers
        ]

    def data_for_service(self) -> dict:
        return {
            "sku": self.sku.data,
            "option1": self.option1.data or "",
            "option2": self.option2.data or "",
            "price": self.price.minor_units(),
            "cost": self.cost.minor_units(),
            "weight_g": self.weight_g.data or 0,
            "length_mm": self.length_mm.data or 0,
            "width_mm": self.width_mm.data or 0,
            "height_mm": self.height_mm.data or 0,
            "tax_class_id": self.tax_class_id.data,
            "barcode": self.barcode.data or "",
            "is_active": self.is_active.data,
            "reorder_point": self.reorder_point.data or 0,
            "reorder_quantity": self.reorder_quantity.data or 0,
            "supplier_id": self.supplier_id.data,
            "lead_time_days": self.lead_time_days.data,
            "bin_location": (self.bin_location.data or "").strip() or None,
        }


class NewVariantForm(VariantForm):
    opening_stock = WholeNumberField(
        "Opening stock (units on the shelf now)", default=0, validators=[_between(0, MAX_STOCK)]
    )


class ImageForm(BackofficeForm):
    image = FileField(
        "Image",
        validators=[
            FileRequired("Choose an image file."),
            FileAllowed(IMAGE_EXTENSIONS, "Upload a JPEG, PNG, WebP or GIF image."),
        ],
    )
    alt = StringField("Description for screen readers", validators=[_at_most(200)])


# --- stock -----------------------------------------------------------------------


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
    note = StringField("Note", validators=[_at_most(200)])

    def validate_quantity(self, field):
        if field.data == 0 or abs(field.data) > MAX_MOVEMENT:
            raise ValidationError(
                f"Enter a whole number of units from -{MAX_MOVEMENT:,} to {MAX_MOVEMENT:,}, not 0."
            )


class StockCountForm(BackofficeForm):
    counted = WholeNumberField(
        "Units counted on the shelf",
        validators=[Required("Enter the number of units counted."), _between(0, MAX_STOCK)],
    )
    note = StringField("Note", validators=[_at_most(200)])


# --- staff -----------------------------------------------------------------------

STAFF_ROLE_CHOICES = [SelectChoice(r, roles.LABELS[r]) for r in roles.STAFF]


class StaffCreateForm(BackofficeForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), _at_most(120)])
    email = EmailField(
        "Email",
        filters=[_stripped],
        validators=[
            DataRequired("Enter an email address."),
            _at_most(254),
            Email("Enter a valid email address."),
        ],
    )
    role = SelectField(
        "Role",
        choices=STAFF_ROLE_CHOICES,
        default=roles.WAREHOUSE,
        invalid_choice_message="Choose a staff role from the list.",
    )
    password = PasswordField(
        "Initial password",
        validators=[
            DataRequired("Enter a password."),
            NewPassword(),
        ],
    )


class StaffEditForm(BackofficeForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), _at_most(120)])
    role = SelectField(
        "Role",
        choices=STAFF_ROLE_CHOICES,
        invalid_choice_message="Choose a staff role from the list.",
    )
    is_enabled = BooleanField("May log in")


# --- orders ----------------------------------------------------------------------


def _without_nul(value):
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class DayField(DateField):
    """A day typed as 2026-03-31 (the browser's date picker sends that); '' is none."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError("Enter a date like 2026-03-31.") from None


class OrderFilterForm(Form):
    """The filters above the order list, read from the query string (a GET: no CSRF)."""

    q = StringField("Order number or email", filters=[_without_nul], validators=[_at_most(200)])
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
        if field.data and self.placed_from.data and field.data < self.placed_from.data:
            raise ValidationError("Choose a day on or after the first day.")

    def filters(self) -> dict:
        """What to filter by; a filter whose text could not be read is left out."""

        def ok(field):
            return field.data if not field.errors else None

        return {
            "text": ok(self.q) or "",
            "status": ok(self.status) or None,
            "placed_from": ok(self.placed_from),
            "placed_to": ok(self.placed_to),
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
    reason = StringField("Reason (kept in the order's history)", validators=[_at_most(200)])


# --- shipping --------------------------------------------------------------------

MAX_DIM_DIVISOR = 1_000_000
MAX_TRANSIT_DAYS = 90


def _upper_code(value):
    return value.replace(" ", "").upper() if isinstance(value, str) else value


def _name_field(limit: int) -> StringField:
    return StringField("Name", validators=[DataRequired("Enter a name."), _at_most(limit)])


class CarrierForm(BackofficeForm):
    name = _name_field(80)
    dim_divisor = WholeNumberField(
        "Dimensional-weight divisor (cm\u00b3 per kg)",
        validators=[Required("Enter the divisor, like 6000."), _between(1, MAX_DIM_DIVISOR)],
    )


class ShippingServiceForm(BackofficeForm):
    name = _name_field(80)
    transit_days = WholeNumberField(
        "Transit (business days)",
        validators=[Required("Enter the days in transit."), _between(0, MAX_TRANSIT_DAYS)],
    )
    position = WholeNumberField("Position in the list", default=0, validators=[_between(0, 10_000)])
    is_active = BooleanField("Offered at checkout", default=True)
    free_over = MoneyField("Free when the goods come to at least ($; empty: never free)")

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "transit_days": self.transit_days.data,
            "position": self.position.data or 0,
            "is_active": self.is_active.data,
            "free_over": None if self.free_over.data is None else self.free_over.minor_units(),
        }


def _country_field() -> StringField:
    return StringField(
        "Country",
        default="CA",
        filters=[_upper_code],
        validators=[DataRequired("Enter a two-letter country code, like CA."), _at_most(2)],
    )


def _province_field() -> StringField:
    return StringField(
        "Province",
        filters=[_upper_code],
        validators=[DataRequired("Enter a province code, like ON."), _at_most(3)],
    )


class ZoneForm(BackofficeForm):
    name = _name_field(80)


class RegionForm(BackofficeForm):
    country = _country_field()
    province = _province_field()
    postal_prefix = StringField(
        "Postal codes starting with (empty: the whole province)",
        filters=[_upper_code],
        validators=[_at_most(6)],
    )


class BandForm(BackofficeForm):
    """A weight band of a zone's rate table; band_form() adds a price field per service."""

    max_weight_g = WholeNumberField(
        "Parcels up to (g)",
        validators=[Required("Enter the heaviest parcel, in grams."), _between(1, MAX_GRAMS)],
    )

    def prices(self) -> dict[int, int | None]:
        """Price in cents per service id; None where the service does not carry this band."""
        return {
            int(field.name.removeprefix("price_")): (
                None if field.data is None else field.minor_units()
            )
            for field in self
            if field.name.startswith("price_")
        }


def band_form(services, **kwargs) -> BandForm:
    """A band form with one price per shipping service (empty: not carried at this weight)."""

    class ServiceBandForm(BandForm):
        """The band form with a price field per shipping service, added below."""

    for service in services:
        setattr(ServiceBandForm, f"price_{service.id}", MoneyField(f"{service.full_name} ($)"))
    return ServiceBandForm(**kwargs)


class BoxForm(BackofficeForm):
    name = _name_field(60)
    length_mm = WholeNumberField(
        "Inner length (mm)", validators=[Required("Enter the length."), _between(1, MAX_MM)]
    )
    width_mm = WholeNumberField(
        "Inner width (mm)", validators=[Required("Enter the width."), _between(1, MAX_MM)]
    )
    height_mm = WholeNumberField(
        "Inner height (mm)", validators=[Required("Enter the height."), _between(1, MAX_MM)]
    )
    weight_g = WholeNumberField(
        "Weight of the empty box (g)",
        validators=[Required("Enter the box's own weight."), _between(0, MAX_GRAMS)],
    )
    max_weight_g = WholeNumberField(
        "Most it may weigh packed (g)",
        validators=[Required("Enter the most the box may weigh."), _between(1, MAX_GRAMS)],
    )
    is_active = BooleanField("Used for packing", default=True)


# --- tax -------------------------------------------------------------------------

PERCENT = re.compile(r"-?[0-9]{1,6}(\.[0-9]+)?")
PERCENT_PLACES = 3  # the rate column keeps 5 decimals of the fraction


class PercentField(_OneMessage, StringField):
    """A percentage typed as "9.975", kept as the Decimal fraction 0.09975 (never a float)."""

    def process_data(self, value):
        self.data = value

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip().removesuffix("%").strip()
        if raw == "":
            self.data = None
            return
        self.data = None
        if not PERCENT.fullmatch(raw):
            raise ValueError("Enter a percentage, like 9.975.")
        try:
            percent = Decimal(raw)
        except InvalidOperation:
            raise ValueError("Enter a percentage, like 9.975.") from None
        if not 0 <= percent <= 100:
            raise ValueError("Enter a percentage from 0 to 100.")
        if -percent.as_tuple().exponent > PERCENT_PLACES:
            raise ValueError(f"Use at most {PERCENT_PLACES} decimal places, like 9.975.")
        self.data = percent / 100

    def _value(self) -> str:
        if self.data is None:
            return self.raw_data[0] if self.raw_data else ""
        return f"{(self.data * 100).normalize():f}"


class TaxClassForm(BackofficeForm):
    name = _name_field(80)


class TaxRateForm(BackofficeForm):
    country = _country_field()
    province = _province_field()
    tax_class_id = IdSelectField("Tax class", message="Choose a tax class from the list.")
    component = SelectField(
        "Component",
        choices=[SelectChoice(c, c) for c in COMPONENTS],
        invalid_choice_message="Choose a tax component from the list.",
    )
    rate = PercentField("Rate (%)", validators=[Required("Enter the rate, like 9.975.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tax_classes = db.session.scalars(sa.select(TaxClass).order_by(TaxClass.name))
        self.tax_class_id.choices = [SelectChoice(t.id, t.name) for t in tax_classes]

    def data_for_service(self) -> dict:
        return {
            "country": self.country.data,
            "province": self.province.data,
            "tax_class_id": self.tax_class_id.data,
            "component": self.component.data,
            "rate": self.rate.data,
        }


# --- the books -------------------------------------------------------------------

MANUAL_ENTRY_LINES = 6


def _day_arg(field) -> str:
    return field.raw_data[0] if field.raw_data else ""


class PeriodForm(Form):
    """A range of days, read from the query string; either end may be left open."""

    date_from = DayField("From", validators=[Optional()])
    date_to = DayField("Up to", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Choose a day on or after the first day.")

    def period(self) -> tuple[date | None, date | None]:
        """The days to report on; a day that could not be read is left open."""
        start = self.date_from.data if not self.date_from.errors else None
        end = self.date_to.data if not self.date_to.errors else None
        return start, end

    def query_args(self) -> dict:
        args = {"date_from": _day_arg(self.date_from), "date_to": _day_arg(self.date_to)}
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
    q = StringField("Number or email", filters=[_without_nul], validators=[_at_most(200)])
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
        if field.data and self.issued_from.data and field.data < self.issued_from.data:
            raise ValidationError("Choose a day on or after the first day.")

    def filters(self) -> dict:
        def ok(field):
            return field.data if not field.errors else None

        return {
            "text": ok(self.q) or "",
            "kind": ok(self.kind) or None,
            "status": ok(self.status) or None,
            "issued_from": ok(self.issued_from),
            "issued_to": ok(self.issued_to),
        }

    def query_args(self) -> dict:
        args = {
            "q": self.q.data,
            "kind": self.kind.data,
            "status": self.status.data,
            "issued_from": _day_arg(self.issued_from),
            "issued_to": _day_arg(self.issued_to),
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
        "Code", filters=[_upper_code], validators=[DataRequired("Enter a code, like 4010.")]
    )


class AccountForm(BackofficeForm):
    code = _account_code()
    name = _name_field(100)
    is_active = BooleanField("Active (offered for manual entries)", default=True)


class NewAccountForm(BackofficeForm):
    code = _account_code()
    name = _name_field(100)
    type = SelectField(
        "Type", choices=ACCOUNT_TYPE_CHOICES, invalid_choice_message="Choose a type from the list."
    )


class JournalLineForm(Form):
    account_id = IdSelectField("Account", message="Choose an account from the list.")
    debit = MoneyField("Debit ($)")
    credit = MoneyField("Credit ($)")
    memo = StringField("Memo", filters=[_without_nul], validators=[_at_most(200)])


class ManualEntryForm(BackofficeForm):
    on = DayField("Date", validators=[Required("Enter the date of the entry, like 2026-03-31.")])
    description = StringField(
        "Description", validators=[DataRequired("Say what the entry is for."), _at_most(300)]
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


# --- store settings and commission agents ------------------------------------------


def _text(label: str, limit: int, *validators) -> StringField:
    return StringField(label, filters=[_stripped], validators=[*validators, _at_most(limit)])


class StoreSettingsForm(BackofficeForm):
    legal_name = _text("Legal name", 200, DataRequired("Enter the store's legal name."))
    address = TextAreaField(
        "Address (one line per line)",
        validators=[DataRequired("Enter the address."), _at_most(1000)],
    )
    email = EmailField(
        "Email",
        filters=[_stripped],
        validators=[Optional(), _at_most(254), Email("Enter a valid email address.")],
    )
    phone = _text("Phone", 30)
    gst_hst_number = _text("GST/HST number (e.g. 123456789 RT0001)", 30)
    qst_number = _text("QST number (e.g. 1234567890 TQ0001)", 30)
    pst_number = _text("PST number", 30)
    invoice_footer = TextAreaField("Invoice footer", validators=[_at_most(2000)])
    logo = FileField(
        "Logo (PNG, JPEG, GIF or WebP; leave empty to keep the current one)",
        validators=[FileAllowed(IMAGE_EXTENSIONS, "Upload a PNG, JPEG, GIF or WebP image.")],
    )
    demo_fee_percent = PercentField(
        "Demo processor fee (%)", validators=[Required("Enter the fee, like 2.9.")]
    )
    demo_fee_fixed = MoneyField(
        "Demo processor fixed fee ($)", validators=[Required("Enter the fixed fee, like 0.30.")]
    )
    # Returns (shop.returns.services): the window, the fee kept, whether shipping goes back.
    return_window_days = WholeNumberField(
        "Return window (days after shipment; 0: no returns)",
        validators=[Optional(), _between(0, 365)],
    )
    restocking_fee_percent = PercentField(
        "Restocking fee on returns (%; never kept when the store is at fault)",
        validators=[Optional()],
    )
    refund_shipping_on_return = BooleanField(
        "Give the shipping back on every return (it always goes back when the store is at fault)"
    )

    def data_for_service(self) -> dict:
        data = {name: self[name].data or "" for name in STORE_TEXT_FIELDS}
        data["demo_fee_percent"] = self.demo_fee_percent.data * 100
        data["demo_fee_fixed"] = self.demo_fee_fixed.minor_units()
        # Left empty (a form posted without them): the return rules stay as they are.
        data["return_window_days"] = self.return_window_days.data
        fee = self.restocking_fee_percent.data
        data["restocking_fee_percent"] = None if fee is None else fee * 100
        data["refund_shipping_on_return"] = bool(self.refund_shipping_on_return.data)
        return data


STORE_TEXT_FIELDS = (
    "legal_name", "address", "email", "phone", "gst_hst_number", "qst_number", "pst_number",
    "invoice_footer",
)  # fmt: skip


class CommissionAgentForm(BackofficeForm):
    name = _name_field(120)
    email = EmailField(
        "Email",
        filters=[_stripped],
        validators=[Optional(), _at_most(254), Email("Enter a valid email address.")],
    )
    code = StringField(
        "Referral code (?ref=CODE on any page)",
        filters=[_upper_code],
        validators=[DataRequired("Enter a code, like JANE10."), _at_most(30)],
    )
    rate = PercentField("Commission on goods (%)", validators=[Required("Enter a rate, like 5.")])
    is_active = BooleanField("Active (new referrals and orders earn commission)", default=True)

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data,
            "email": self.email.data or None,
            "code": self.code.data,
            "rate": self.rate.data,
            "is_active": self.is_active.data,
        }


# --- fulfilment ------------------------------------------------------------------


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


ShipmentFilterForm = status_filter_form(shipment_status.LABELS)


class HiddenIdField(HiddenField):
    """The id of a row on the page, sent back as it was; anything else is refused."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = _id_or_none(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError("Reload the page and try again.") from None


class ShipmentLineForm(Form):
    line_id = HiddenIdField()
    quantity = WholeNumberField(
        "Units in this shipment",
        validators=[Required("Enter how many units go, 0 or more."), _between(0, MAX_STOCK)],
    )


class ParcelForm(Form):
    parcel_id = HiddenIdField()
    box = IdSelectField("Box")
    weight_g = WholeNumberField("Weight (g)", validators=[Optional(), _between(1, MAX_GRAMS)])
    remove = BooleanField("Remove this parcel")


class PackingForm(BackofficeForm):
    """What goes in the shipment and in which boxes; the last parcel row adds one."""

    lines = FieldList(FormField(ShipmentLineForm))
    parcels = FieldList(FormField(ParcelForm))

    def quantities(self) -> dict[int, int]:
        return {e.line_id.data: e.quantity.data for e in self.lines if e.line_id.data is not None}

    def parcel_entries(self) -> list[ParcelEntry]:
        return [
            ParcelEntry(
                parcel_id=e.parcel_id.data,
                box_id=e.box.data,
                weight_g=e.weight_g.data,
                remove=bool(e.remove.data),
            )
            for e in self.parcels
        ]


def packing_form(shipment, boxes) -> PackingForm:
    """The packing form of a shipment: its lines, its parcels and an empty row for another."""
    data = {
        "lines": [{"line_id": line.id, "quantity": line.quantity} for line in shipment.lines],
        "parcels": [
            {"parcel_id": p.id, "box": p.box_id, "weight_g": p.weight_g} for p in shipment.parcels
        ]
        + [{"parcel_id": None, "box": None, "weight_g": None}],
    }
    form = PackingForm(data=data)  # a submitted form keeps what was typed
    choices = [SelectChoice("", "Own packaging / none")] + [
        SelectChoice(b.id, f"{b.name} ({b.length_mm}\u00d7{b.width_mm}\u00d7{b.height_mm} mm)")
        for b in boxes
    ]
    known = {b.id for b in boxes}
    choices += [
        SelectChoice(p.box_id, f"{p.box_name} (no longer used)")
        for p in shipment.parcels
        if p.box_id is not None and p.box_id not in known
    ]
    for entry in form.parcels:
        entry.box.choices = choices
    return form


class ConfirmShipmentForm(BackofficeForm):
    tracking_number = StringField("Tracking number", filters=[_stripped], validators=[_at_most(40)])


# --- purchasing ------------------------------------------------------------------


def _currency_code(value):
    return value.strip().upper() if isinstance(value, str) else value


class SupplierForm(BackofficeForm):
    name = _name_field(120)
    contact_name = StringField("Contact person", filters=[_stripped], validators=[_at_most(120)])
    email = EmailField(
        "Email for purchase orders",
        filters=[_stripped],
        validators=[Optional(), _at_most(254), Email("Enter a valid email address.")],
    )
    phone = StringField("Phone", filters=[_stripped], validators=[_at_most(30)])
    lead_time_days = WholeNumberField(
        "Lead time (days from ordering to delivery)",
        default=14,
        validators=[Required("Enter the lead time in days."), _between(0, MAX_LEAD_DAYS)],
    )
    currency = StringField(
        "Currency",
        default="CAD",
        filters=[_currency_code],
        validators=[DataRequired("Enter a three-letter currency code, like CAD."), _at_most(3)],
    )
    payment_terms_days = WholeNumberField(
        "Payment terms (days from the bill to its due date; 30 is Net 30)",
        default=30,
        validators=[Required("Enter the payment terms in days."), _between(0, MAX_LEAD_DAYS)],
    )
    province = StringField(
        "Province the supplier charges tax from (like ON; checks the tax on its bills)",
        filters=[_stripped],
        validators=[_at_most(3)],
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
    note = TextAreaField("Note to the supplier", validators=[_at_most(2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        suppliers = db.session.scalars(sa.select(Supplier).order_by(Supplier.name))
        self.supplier_id.choices = [SelectChoice(s.id, s.name) for s in suppliers]


class PurchaseOrderEditForm(BackofficeForm):
    expected_date = DayField("Expected delivery", validators=[Optional()])
    note = TextAreaField("Note to the supplier", validators=[_at_most(2000)])


class PurchaseOrderLineForm(BackofficeForm):
    sku = StringField(
        "SKU", filters=[_stripped], validators=[DataRequired("Enter a SKU."), _at_most(40)]
    )
    quantity = WholeNumberField(
        "Quantity",
        validators=[Required("Enter how many units to order."), _between(1, MAX_MOVEMENT)],
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
            validators=[Optional(), _between(0, MAX_MOVEMENT)],
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
            self.data = [i for i in (_id_or_none(v) for v in valuelist) if i is not None]
        except ValueError:
            self.data = []
            raise ValueError("Tick variants from the list.") from None

    def _value(self) -> str:
        return ""


class ReorderForm(BackofficeForm):
    variant_ids = IdListField("Variants")


# --- reports ---------------------------------------------------------------------


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
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("Choose a day on or after the first day.")
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
        args = {"date_from": _day_arg(self.date_from), "date_to": _day_arg(self.date_to)}
        for name in ("period", "category", "channel", "grain"):
            args[name] = self._ok(name)
        return {k: v for k, v in args.items() if v}
