"""The store's own details, as invoices show them."""

from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from shop import media
from shop.db import once_per_transaction
from shop.extensions import db
from shop.store_details.errors import StoreSettingsError
from shop.store_details.models import StoreSettings

DEFAULT_ADDRESS = "1 Front St W\nToronto ON  M5J 2X5\nCanada"


def store_settings() -> StoreSettings:
    """The one settings row, made from the configuration the first time it is needed;
    read once per transaction (an invoice and its email both read it)."""
    return once_per_transaction(
        db.session, "store settings", _settings_row, models=(StoreSettings,)
    )


def _settings_row() -> StoreSettings:
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


# --- the owner edits them ----------------------------------------------------------

TEXT_FIELDS = (
    "legal_name", "address", "email", "phone", "gst_hst_number", "qst_number", "pst_number",
    "invoice_footer",
)  # fmt: skip
MAX_FEE_PERCENT = Decimal("20")
MAX_FEE_FIXED = 10_000  # $100.00


MAX_RETURN_WINDOW_DAYS = 365


def update_store_settings(
    *, demo_fee_percent: Decimal, demo_fee_fixed: int, return_window_days: int | None = None,
    restocking_fee_percent: Decimal | None = None, refund_shipping_on_return: bool | None = None,
    **text,
):  # fmt: skip
    """Save the store's details; invoices issued from now on carry them (issued ones keep theirs).

    Text fields not given are emptied; the fee percent is a percentage (2.9), the fixed fee cents.
    The return rules (shop.returns) are kept as they are when not given.
    """
    settings = store_settings()
    _check_return_rules(return_window_days, restocking_fee_percent)
    if not text.get("legal_name", "").strip():
        raise StoreSettingsError("Enter the store's legal name.", field="legal_name")
    if not Decimal(0) <= demo_fee_percent <= MAX_FEE_PERCENT:
        raise StoreSettingsError("Enter a fee from 0 to 20%.", field="demo_fee_percent")
    if demo_fee_percent != demo_fee_percent.quantize(Decimal("0.001")):
        raise StoreSettingsError(
            "Use at most 3 decimal places, like 2.9.", field="demo_fee_percent"
        )
    if not 0 <= demo_fee_fixed <= MAX_FEE_FIXED:
        raise StoreSettingsError("Enter a fixed fee from 0 to 100.00.", field="demo_fee_fixed")
    for name in TEXT_FIELDS:
        lines = text.get(name, "").strip().splitlines()
        setattr(settings, name, "\n".join(line.rstrip() for line in lines))
    settings.demo_fee_percent = demo_fee_percent
    settings.demo_fee_fixed = demo_fee_fixed
    if return_window_days is not None:
        settings.return_window_days = return_window_days
    if restocking_fee_percent is not None:
        settings.restocking_fee_percent = restocking_fee_percent
    if refund_shipping_on_return is not None:
        settings.refund_shipping_on_return = refund_shipping_on_return
    db.session.flush()
    return settings


def _check_return_rules(window_days: int | None, fee_percent: Decimal | None) -> None:
    if window_days is not None and not 0 <= window_days <= MAX_RETURN_WINDOW_DAYS:
        raise StoreSettingsError(
            f"Enter a return window from 0 to {MAX_RETURN_WINDOW_DAYS} days.",
            field="return_window_days",
        )
    if fee_percent is None:
        return
    if not Decimal(0) <= fee_percent <= Decimal(100):
        raise StoreSettingsError(
            "Enter a restocking fee from 0 to 100%.", field="restocking_fee_percent"
        )
    if fee_percent != fee_percent.quantize(Decimal("0.01")):
        raise StoreSettingsError(
            "Use at most 2 decimal places, like 15 or 12.5.", field="restocking_fee_percent"
        )


def save_logo(data: bytes) -> str:
    """Keep an uploaded logo (checked and re-drawn, see shop.media) in the media storage;
    the old one is removed once this is committed. Returns the new file's name."""
    try:
        filename = media.store_image(data, name="logo")
    except media.MediaError as err:
        raise StoreSettingsError(err.message, field="logo") from err
    settings = store_settings()
    old = settings.logo_filename
    settings.logo_filename = filename
    db.session.flush()
    if old and old != filename:
        media.discard_after_commit(old)
    return filename
