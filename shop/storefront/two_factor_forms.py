"""Forms of two-step sign-in: a code, and turning the second factor off."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from shop.accounts.passwords import LONGEST_EXISTING
from shop.forms import StoreForm

CODE_HELP = "The 6 digits your authenticator app shows, or one of your recovery codes."


def _code_field(label: str = "Code"):
    return StringField(
        label,
        validators=[DataRequired("Enter the code."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )


class CodeForm(StoreForm):
    code = _code_field()


class TurnOffForm(StoreForm):
    password = PasswordField("Password", validators=[DataRequired(), Length(max=LONGEST_EXISTING)])
    code = _code_field("Code from your app (or a recovery code)")
