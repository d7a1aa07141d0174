"""The demo's discount codes, made through the back office's own service."""

from decimal import Decimal

from shop.discounts.models import FREE_SHIPPING, PERCENT
from shop.discounts.services import DiscountForm, save_discount

CODES = [
    DiscountForm(
        code="WELCOME10", description="10 % off a first order", kind=PERCENT,
        percent=Decimal(10), amount=None, min_subtotal=0, starts_at=None, ends_at=None,
        max_uses=None, max_uses_per_customer=1, is_active=True, product_ids=[],
        category_ids=[],
    ),
    DiscountForm(
        code="SHIPFREE50", description="Free shipping on $50 or more", kind=FREE_SHIPPING,
        percent=None, amount=None, min_subtotal=5000, starts_at=None, ends_at=None,
        max_uses=None, max_uses_per_customer=None, is_active=True, product_ids=[],
        category_ids=[],
    ),
]  # fmt: skip


def seed_discounts() -> int:
    for entered in CODES:
        save_discount(entered=entered)
    return len(CODES)
