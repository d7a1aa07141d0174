"""The field types of every form of the store, storefront and back office alike.

Fields parse what a person types (whole numbers, dollar amounts, percentages, days, ids
from a list) and refuse anything else with one plain message beside the field; the
services then decide whether the change itself is allowed.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, StopValidation

from shop.clock import FIRST_DAY, LAST_DAY
from shop.forms import whole_number
from shop.money import to_decimal, to_minor_units

MAX_PRICE_DIGITS = 7  # up to 9,999,999.99 in the base currency
AMOUNT = re.compile(rf"[0-9]{{1,{MAX_PRICE_DIGITS}}}(\.[0-9]{{1,2}})?")


class Required:
    """The field must hold a value once read ('' or only spaces is none; 0 is a value)."""

    def __init__(self, message: str):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if field.data is None and field.process_errors:
            raise StopValidation()  # the field said why what was typed could not be read
        if field.data is None:
            raise StopValidation(self.message)


def stripped(value):
    return value.strip() if isinstance(value, str) else value


def at_most(n: int) -> Length:
    return Length(max=n, message=f"Use at most {n} characters.")


def between(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, f"Enter a whole number from {low:,} to {high:,}.")


class OneMessage:
    """When the text cannot be read, say so once: no range check on top."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class WholeNumberField(OneMessage, IntegerField):
    """A whole number as a person types it: 'abc' or '1.5' is refused plainly; '' is none."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip().replace(",", "")
        self.data = whole_number(raw)
        if self.data is None and raw != "":
            raise ValueError("Enter a whole number, like 5.")


class MoneyField(OneMessage, StringField):
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


def id_or_none(value):
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
            coerce=id_or_none,
            invalid_value_message=message,
            invalid_choice_message=message,
            **kwargs,
        )


def without_nul(value):
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class DayField(DateField):
    """A day typed as 2026-03-31 (the browser's date picker sends that) from FIRST_DAY to
    LAST_DAY; '' is none."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            day = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            raise ValueError("Enter a date like 2026-03-31.") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(f"Choose a day from {FIRST_DAY} to {LAST_DAY}.")
        self.data = day


def upper_code(value):
    return value.replace(" ", "").upper() if isinstance(value, str) else value


PERCENT = re.compile(r"-?[0-9]{1,6}(\.[0-9]+)?")
PERCENT_PLACES = 3  # the rate column keeps 5 decimals of the fraction


class PercentField(OneMessage, StringField):
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


def day_arg(field) -> str:
    return field.raw_data[0] if field.raw_data else ""


class HiddenIdField(HiddenField):
    """The id of a row on the page, sent back as it was; anything else is refused."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = id_or_none(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError("Reload the page and try again.") from None
