"""The store around the catalogue: its own details (as its invoices show them), tax
rates, the carrier's tables, the chart of accounts and the suppliers.
"""

import sqlalchemy as sa

from shop.accounting.services import seed_chart
from shop.extensions import db
from shop.purchasing.models import Supplier
from shop.shipping.services import seed_canada_post
from shop.store_details.services import store_settings
from shop.tax.services import ensure_tax_classes, seed_canadian_rates

# key: (name, email, phone, lead time in days)
SUPPLIERS = {
    "trail": ("Northern Trail Gear Co.", "orders@northerntrail.example", "604-555-0142", 21),
    "cotton": ("Prairie Cotton Mills", "sales@prairiecotton.example", "306-555-0178", 10),
    "outer": ("Cascade Outerwear Ltd.", "wholesale@cascadeouter.example", "250-555-0119", 30),
    "coffee": ("Kawartha Coffee Roasters", "trade@kawarthacoffee.example", "705-555-0163", 5),
    "house": ("Great Lakes Housewares", "orders@greatlakeshw.example", "416-555-0127", 14),
    "wool": ("Laurentian Woollen Mills", "ventes@laurentianwool.example", "819-555-0184", 28),
    "press": ("Cedar Press Distribution", "orders@cedarpress.example", "613-555-0190", 7),
}

# Where each supplier charges sales tax from (its bills' tax is checked at these rates).
SUPPLIER_PROVINCES = {
    "trail": "BC", "cotton": "SK", "outer": "BC", "coffee": "ON", "house": "ON", "wool": "QC",
    "press": "ON",
}  # fmt: skip


def _get_or_create(model, where: dict, **values):
    row = db.session.scalar(sa.select(model).filter_by(**where))
    if row is None:
        row = model(**where, **values)
        db.session.add(row)
        db.session.flush()
    return row


def seed_store_settings() -> None:
    """What the demo's invoices say about the store (registration numbers in CRA's format)."""
    settings = store_settings()
    settings.legal_name = "Maple & Pine Outfitters Inc."
    settings.address = "1 Front St W\nToronto ON  M5J 2X5\nCanada"
    settings.email = "shop@example.com"
    settings.phone = "416-555-0100"
    settings.gst_hst_number = "123456789 RT0001"
    settings.qst_number = "1234567890 TQ0001"
    settings.invoice_footer = "Thank you for shopping with us. Returns within 30 days."


def seed_store() -> dict:
    """Tax classes and rates, the carrier, the chart and the store's details; returns the
    tax classes by name."""
    tax = ensure_tax_classes()
    seed_canadian_rates()
    seed_canada_post()
    seed_chart()
    seed_store_settings()
    return tax


def seed_suppliers() -> dict[str, Supplier]:
    """The demo's suppliers by key (made once: a second seed finds them)."""
    return {
        key: _get_or_create(
            Supplier,
            {"name": name},
            email=email,
            phone=phone,
            lead_time_days=lead,
            province=SUPPLIER_PROVINCES[key],
        )
        for key, (name, email, phone, lead) in SUPPLIERS.items()
    }
