"""Every CSV export: a cell a spreadsheet would run as a formula is kept as text."""

import csv
import io

import pytest

from shop.csv_export import csv_lines


def read_back(row: list) -> list[str]:
    text = "".join(csv_lines(["a"] * len(row), [row]))
    return list(csv.reader(io.StringIO(text)))[1]


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+1+1", "-1+cmd", "@SUM(A1)", "\t=HYPERLINK(1)", "\r=1", "\uff1d1+1", "\uff20A1",
     "-Infinity", "\t-1"],
)  # fmt: skip
def test_a_formula_is_quoted(cell):
    assert read_back([cell]) == ["'" + cell]


@pytest.mark.parametrize("cell", ["-12.50", "+3", "-7", "Tent", "1=1", "", "'=already"])
def test_numbers_and_plain_text_are_left_as_they_are(cell):
    assert read_back([cell]) == [cell]


def test_numbers_that_are_not_text_are_written_as_numbers():
    assert read_back([-5, 3]) == ["-5", "3"]
