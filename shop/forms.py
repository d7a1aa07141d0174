"""The base of every form of the store, storefront and back office alike."""

from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from shop.accounts.passwords import password_problem

NUL_MESSAGE = "Remove the control characters from this text."


class StoreForm(FlaskForm):
    """Refuses control characters in any text (PostgreSQL cannot store a NUL), beside the field."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and "\x00" in field.data:
                field.errors = [*field.errors, NUL_MESSAGE]
                valid = False
        return valid


class NewPassword:
    """The password policy (shop.accounts.passwords) beside a new-password field.

    The services apply it again, with the account's own words, wherever a password is set.
    """

    def __call__(self, form, field) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
