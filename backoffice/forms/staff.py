"""Forms of staff accounts: a new account and its role."""

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email

from backoffice.forms import BackofficeForm
from shop.accounts import roles
from shop.forms import NewPassword
from shop.forms.fields import at_most, stripped

STAFF_ROLE_CHOICES = [SelectChoice(r, roles.LABELS[r]) for r in roles.STAFF]


class StaffCreateForm(BackofficeForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), at_most(120)])
    email = EmailField(
        "Email",
        filters=[stripped],
        validators=[
            DataRequired("Enter an email address."),
            at_most(254),
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
    name = StringField("Name", validators=[DataRequired("Enter a name."), at_most(120)])
    role = SelectField(
        "Role",
        choices=STAFF_ROLE_CHOICES,
        invalid_choice_message="Choose a staff role from the list.",
    )
    is_enabled = BooleanField("May log in")
