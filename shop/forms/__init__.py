"""The base of every form of the store, storefront and back office alike."""

import re

from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from shop.accounts.passwords import password_problem

NUL_MESSAGE = "Remove the control characters from this text."
# Plain digits only: str.isdigit() also takes "²", which int() refuses with Python's own
# words ("invalid literal for int()") that nobody should see.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")


def whole_number(text: str | None) -> int | None:
    """The number written in plain digits (an optional sign, up to 12 digits), else None."""
    text = (text or "").strip()
    return int(text) if WHOLE_NUMBER.fullmatch(text) else None


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


class EmptyForm(StoreForm):
    """Only the CSRF token: for buttons such as Remove and Log out."""
