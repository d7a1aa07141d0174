"""Canada's sales taxes by province, as in force in 2026, for the standard tax class.

Nova Scotia's HST went from 15% to 14% on 1 April 2025. Manitoba's PST is
called RST there; it is the same component in the books. Basic groceries are
zero-rated: the zero-rated class has no rates.
"""

from decimal import Decimal

CANADA_STANDARD_RATES: dict[str, list[tuple[str, Decimal]]] = {
    "AB": [("GST", Decimal("0.05"))],
    "BC": [("GST", Decimal("0.05")), ("PST", Decimal("0.07"))],
    "MB": [("GST", Decimal("0.05")), ("PST", Decimal("0.07"))],
    "NB": [("HST", Decimal("0.15"))],
    "NL": [("HST", Decimal("0.15"))],
    "NS": [("HST", Decimal("0.14"))],
    "NT": [("GST", Decimal("0.05"))],
    "NU": [("GST", Decimal("0.05"))],
    "ON": [("HST", Decimal("0.13"))],
    "PE": [("HST", Decimal("0.15"))],
    "QC": [("GST", Decimal("0.05")), ("QST", Decimal("0.09975"))],
    "SK": [("GST", Decimal("0.05")), ("PST", Decimal("0.06"))],
    "YT": [("GST", Decimal("0.05"))],
}

TAX_CLASSES = [("standard", "Standard rated"), ("zero-rated", "Zero-rated (basic groceries)")]
