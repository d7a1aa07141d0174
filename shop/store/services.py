"""The store's own details, as invoices show them."""

import sqlalchemy as sa
from flask import current_app

from shop.extensions import db
from shop.store.models import StoreSettings

DEFAULT_ADDRESS = "1 Front St W\nToronto ON  M5J 2X5\nCanada"


def store_settings() -> StoreSettings:
    """The one settings row, made from the configuration the first time it is needed."""
    settings = db.session.scalar(sa.select(StoreSettings).order_by(StoreSettings.id).limit(1))
    if settings is None:
        settings = StoreSettings(
            legal_name=current_app.config["STORE_NAME"],
            address=DEFAULT_ADDRESS,
            email="shop@example.com",
            gst_hst_number="",
            invoice_footer="Thank you for shopping with us.",
        )
        db.session.add(settings)
        db.session.flush()
    return settings
