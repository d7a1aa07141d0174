"""Postal codes are checked against the province as Canada Post would: each province's
own first letters, with the message the customer reads beside the field."""

import pytest

from shop.addresses import PROVINCE_NAMES, postal_code_problem

# A real postal code of each province and territory (its capital or largest city).
OWN_CODE = {
    "AB": "T2P 1J9", "BC": "V6B 1A1", "MB": "R3C 0V8", "NB": "E1C 4M3",
    "NL": "A1C 5M2", "NS": "B3J 3K5", "NT": "X1A 2L9", "NU": "X0A 0H0",
    "ON": "M5V 2T6", "PE": "C1A 7N8", "QC": "H3B 4W8", "SK": "S4P 3Y2",
    "YT": "Y1A 2C6",
}  # fmt: skip


def problem(province: str, code: str) -> str | None:
    return postal_code_problem(country="CA", province=province, postal_code=code)


def test_every_province_has_a_code_here():
    assert set(OWN_CODE) == set(PROVINCE_NAMES)


@pytest.mark.parametrize("province", sorted(OWN_CODE))
def test_a_postal_code_of_the_province_is_accepted(province):
    assert problem(province, OWN_CODE[province]) is None
    assert problem(province, OWN_CODE[province].replace(" ", "").lower()) is None


@pytest.mark.parametrize("province", sorted(OWN_CODE))
def test_a_postal_code_of_every_other_province_is_refused(province):
    # The Northwest Territories and Nunavut share the letter X: only their own
    # three-character prefixes tell them apart (X0A-X0C Nunavut, X0E, X0G, X1A NWT).
    for other, code in OWN_CODE.items():
        if other != province:
            assert problem(province, code) == (
                f"{code} is not a postal code in {PROVINCE_NAMES[province]}: "
                "check the postal code and the province."
            ), (province, other)


def test_the_finding_toronto_with_british_columbia_is_refused():
    assert problem("BC", "M5V 2T6").startswith("M5V 2T6 is not a postal code in British Columbia")


@pytest.mark.parametrize("code", ["12345", "M5V", "M5V 2T", "D1A 1A1", "M5V-2T6X", "MM5 2T6"])
def test_a_postal_code_not_of_canadas_form_gets_the_example(code):
    assert problem("ON", code) == "Enter a postal code like K1A 0B1."


def test_no_postal_code_or_no_province():
    assert problem("ON", "  ") == "Enter your postal code."
    assert problem("Atlantis", "M5V 2T6") == "Choose your province."
