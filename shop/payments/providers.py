"""Which payment provider the store uses: Stripe when a key is set, else the demo provider."""

from flask import current_app

from shop.errors import DomainError


class PaymentsUnavailable(DomainError):
    """No provider may take payments in this setup."""


def provider_name() -> str:
    cfg = current_app.config
    if cfg.get("STRIPE_SECRET_KEY"):
        return "stripe"
    if cfg["STORE_ENV"] != "production" or cfg.get("DEMO_PAYMENTS_ALLOWED"):
        return "demo"
    raise PaymentsUnavailable(
        "Card payments are not set up yet. Please contact the store to place your order."
    )


def demo_mode() -> bool:
    try:
        return provider_name() == "demo"
    except PaymentsUnavailable:
        return False
