"""Forms of the storefront: cart, account, addresses."""

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from shop.accounts.passwords import LONGEST_EXISTING
from shop.addresses import (
    PROVINCE_MESSAGE,
    PROVINCE_NAMES,
    postal_code_form_problem,
    postal_code_problem,
    tidy_postal_code,
)
from shop.forms import EmptyForm, NewPassword, StoreForm, whole_number
from shop.forms.fields import OneMessage

__all__ = ["EmptyForm"]  # the storefront's views take it from here too

MAX_QUANTITY = 999
QUANTITY_MESSAGE = f"Enter a whole number from 1 to {MAX_QUANTITY}."

PROVINCES = [SelectChoice(code, name) for code, name in PROVINCE_NAMES.items()]


class QuantityField(OneMessage, IntegerField):
    """A whole number; '1.5' or 'abc' is refused with a plain message (once: no range check
    on top). Unlike WholeNumberField, an empty box or "1,000" is refused too."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = whole_number(valuelist[0])
            if self.data is None:
                raise ValueError(QUANTITY_MESSAGE)


class AddToCartForm(StoreForm):
    variant_id = HiddenField(validators=[DataRequired("Choose an option.")])
    quantity = QuantityField(
        "Quantity",
        default=1,
        validators=[
            InputRequired(QUANTITY_MESSAGE),
            NumberRange(1, MAX_QUANTITY, QUANTITY_MESSAGE),
        ],
    )

    def variant_id_as_int(self) -> int | None:
        value = whole_number(self.variant_id.data)
        return value if value is not None and value > 0 else None


class UpdateLineForm(StoreForm):
    quantity = QuantityField(
        "Quantity",
        validators=[
            InputRequired(QUANTITY_MESSAGE),
            NumberRange(1, MAX_QUANTITY, QUANTITY_MESSAGE),
        ],
    )


class LoginForm(StoreForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=LONGEST_EXISTING)])
    remember = BooleanField("Keep me logged in on this computer")


def _password_field(label: str):
    return PasswordField(label, validators=[DataRequired(), NewPassword()])


class RegisterForm(StoreForm):
    """Step 1: who you are. The password is chosen from the emailed link (step 2)."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254), Email("Enter a valid email address.")],
    )


class FinishRegistrationForm(StoreForm):
    password = _password_field("Password")
    confirm = PasswordField(
        "Repeat password", validators=[EqualTo("password", "The passwords do not match.")]
    )


class ForgotPasswordForm(StoreForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), Email()])


class ResetPasswordForm(StoreForm):
    password = _password_field("New password")
    confirm = PasswordField(
        "Repeat new password", validators=[EqualTo("password", "The passwords do not match.")]
    )


class ChangePasswordForm(StoreForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=LONGEST_EXISTING)]
    )
    password = _password_field("New password")
    confirm = PasswordField(
        "Repeat new password", validators=[EqualTo("password", "The passwords do not match.")]
    )


class AddressForm(StoreForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    company = StringField("Company", validators=[Optional(), Length(max=120)])
    line1 = StringField("Address", validators=[DataRequired(), Length(max=200)])
    line2 = StringField("Apartment, suite", validators=[Optional(), Length(max=200)])
    city = StringField("City", validators=[DataRequired(), Length(max=100)])
    # AnyOf rather than the select's own check: its "Not a valid choice." says nothing.
    province = SelectField(
        "Province",
        choices=PROVINCES,
        validate_choice=False,
        validators=[DataRequired(PROVINCE_MESSAGE), AnyOf(PROVINCE_NAMES, PROVINCE_MESSAGE)],
    )
    postal_code = StringField(
        "Postal code", filters=[tidy_postal_code], validators=[DataRequired()]
    )
    phone = StringField("Phone", validators=[Optional(), Length(max=30)])
    is_default = BooleanField("Use as my default address")

    def validate_postal_code(self, field) -> None:
        """Of Canada's form, and its first letters the province's (the province decides
        the tax). A province not in the list is said beside the province (checked first,
        as it comes first): here only the postal code's own form is checked then."""
        if field.errors:
            return
        problem = postal_code_form_problem(country="CA", postal_code=field.data)
        if problem is None and not self.province.errors:
            problem = postal_code_problem(
                country="CA", province=self.province.data, postal_code=field.data
            )
        if problem:
            raise ValidationError(problem)

    def data_for_service(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        data["country"] = "CA"
        return data


class CheckoutAddressForm(AddressForm):
    """Step 1: who and where. Guests give an email; customers may pick a saved address."""

    email = EmailField(
        "Email for your receipt",
        validators=[DataRequired(), Length(max=254), Email("Enter a valid email address.")],
    )
    saved_address = SelectField("Saved address", coerce=int, validate_choice=False, default=0)
    is_default = None  # the address book has its own page


class DeliveryForm(StoreForm):
    """Step 2: shipping service, and when something must wait, the shipping policy."""

    service = SelectField("Shipping service", coerce=str, validate_choice=False)
    policy = SelectField("When to ship", coerce=str, validate_choice=False)


class OnePageCheckoutForm(CheckoutAddressForm):
    """The one-page checkout: the address, the delivery choice and the figures' fingerprint.
    The choice is checked against the services offered for the address, in the view."""

    service = SelectField("Shipping service", coerce=str, validate_choice=False)
    policy = SelectField("When to ship", coerce=str, validate_choice=False)
    reviewed = HiddenField()


class PlaceOrderForm(StoreForm):
    reviewed = HiddenField(validators=[DataRequired()])


class DemoCardForm(StoreForm):
    card_number = StringField(
        "Test card number", validators=[DataRequired("Enter a test card number."), Length(max=30)]
    )


class TrackOrderForm(StoreForm):
    """ "Track your order" without an account: the order number and its email or postal code."""

    number = StringField(
        "Order number",
        validators=[DataRequired("Enter your order number."), Length(max=20)],
        render_kw={"autocomplete": "off", "placeholder": "e.g. MP10042"},
    )
    contact = StringField(
        "Email or postal code",
        validators=[
            DataRequired("Enter the email or the postal code of the order."),
            Length(max=254),
        ],
        description="The email you ordered with, or the postal code it ships to.",
    )
