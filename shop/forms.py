"""The base of every form of the store, storefront and back office alike."""

from flask_wtf import FlaskForm

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
