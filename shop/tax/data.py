"""Canada's sales taxes by province, as in force in 2026, for each tax class of the store.

Nova Scotia's HST went from 15% to 14% on 1 April 2025. Manitoba's PST is
called RST there; it is the same component in the books. Basic groceries are
zero-rated: the zero-rated class has no rates.

Relief works on a component, never on the whole tax: where a province relieves
printed books or children's clothing of its own part, the federal part stays.
In the HST provinces the relief is a point-of-sale rebate of the provincial
part, so the line pays HST at 5% (the federal part), labelled "HST 5%" and
posted to HST payable like any HST; in the GST + PST provinces the PST (or
QST) is simply not charged and the line pays GST 5%. Each rule below names
where it is written.
"""

from decimal import Decimal

GST = ("GST", Decimal("0.05"))
HST_FEDERAL_PART = ("HST", Decimal("0.05"))  # the HST less a rebated provincial part

CANADA_STANDARD_RATES: dict[str, list[tuple[str, Decimal]]] = {
    "AB": [GST],
    "BC": [GST, ("PST", Decimal("0.07"))],
    "MB": [GST, ("PST", Decimal("0.07"))],
    "NB": [("HST", Decimal("0.15"))],
    "NL": [("HST", Decimal("0.15"))],
    "NS": [("HST", Decimal("0.14"))],
    "NT": [GST],
    "NU": [GST],
    "ON": [("HST", Decimal("0.13"))],
    "PE": [("HST", Decimal("0.15"))],
    "QC": [GST, ("QST", Decimal("0.09975"))],
    "SK": [GST, ("PST", Decimal("0.06"))],
    "YT": [GST],
}

STANDARD = "standard"
ZERO_RATED = "zero-rated"
PRINTED_BOOKS = "printed-books"
CHILDRENS_CLOTHING = "childrens-clothing"

TAX_CLASSES = [
    (STANDARD, "Standard rated"),
    (ZERO_RATED, "Zero-rated (basic groceries)"),
    (PRINTED_BOOKS, "Printed books"),
    (CHILDRENS_CLOTHING, "Children's clothing and footwear"),
]

# Where a class pays less than the standard rates; every other province pays the
# standard rates for it.
RELIEF: dict[str, dict[str, list[tuple[str, Decimal]]]] = {
    # Printed books (with an ISBN for Quebec); not magazines, newspapers, colouring or
    # writing books.
    PRINTED_BOOKS: {
        # CRA GST/HST Info Sheet GI-065, Point-of-Sale Rebate on Books: the provincial
        # part of the HST is rebated at the till in ON, NB, NL, NS and PE.
        "ON": [HST_FEDERAL_PART],
        "NB": [HST_FEDERAL_PART],
        "NL": [HST_FEDERAL_PART],
        "NS": [HST_FEDERAL_PART],
        "PE": [HST_FEDERAL_PART],
        # BC PST Bulletin PST 205, Books, Magazines, Newspapers and Other Publications:
        # books are exempt from PST.
        "BC": [GST],
        # Manitoba RST Bulletin No. 030, Summary of Taxable and Exempt Goods and Services:
        # books are exempt from RST.
        "MB": [GST],
        # Saskatchewan Information Bulletin PST-2: books (paperback, hard cover) are exempt.
        "SK": [GST],
        # Revenu Quebec, Printed Books (interpretation bulletin TVQ. 198.1-1): a printed
        # book with an ISBN is zero-rated for QST.
        "QC": [GST],
    },
    # Clothing and footwear in children's sizes (girls' size 16, boys' size 20 and under).
    CHILDRENS_CLOTHING: {
        # CRA GST/HST Info Sheet GI-063, Point-of-Sale Rebate on Children's Goods: the
        # provincial part of the HST is rebated in ON, NS and PE (not in NB or NL).
        "ON": [HST_FEDERAL_PART],
        "NS": [HST_FEDERAL_PART],
        "PE": [HST_FEDERAL_PART],
        # BC Bulletin PST 201, Children's Clothing and Footwear: children's sizes are
        # exempt from PST.
        "BC": [GST],
        # Manitoba RST Bulletin No. 001, Clothing, Footwear and Accessories: children's
        # sizes are exempt from RST when the item sells for $150 or less; a dearer item
        # belongs in the standard class.
        "MB": [GST],
        # Saskatchewan ended its exemption on 1 April 2017 (2017-18 budget; Information
        # Bulletin PST-2): standard rates. Quebec charges QST on children's clothing.
    },
}


def canada_rates(code: str) -> dict[str, list[tuple[str, Decimal]]]:
    """The rates of a tax class by province: the standard ones less any relief."""
    if code == ZERO_RATED:
        return {}
    return {**CANADA_STANDARD_RATES, **RELIEF.get(code, {})}
