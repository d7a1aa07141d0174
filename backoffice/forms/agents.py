"""The form of a commission agent."""

from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, Optional

from backoffice.forms import BackofficeForm, name_field
from shop.forms.fields import PercentField, Required, at_most, stripped, upper_code


class CommissionAgentForm(BackofficeForm):
    name = name_field(120)
    email = EmailField(
        "Email",
        filters=[stripped],
        validators=[Optional(), at_most(254), Email("Enter a valid email address.")],
    )
    code = StringField(
        "Referral code (?ref=CODE on any page)",
        filters=[upper_code],
        validators=[DataRequired("Enter a code, like JANE10."), at_most(30)],
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
