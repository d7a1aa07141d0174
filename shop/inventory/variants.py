"""Saving a variant: the catalogue's row with its stock settings, its opening stock and, when
its cost changes, the revaluation of the units on hand. It lives here, above the catalogue,
because it writes stock; shop.catalogue itself knows nothing of inventory."""

import sqlalchemy as sa

from shop.catalogue.errors import CatalogueError
from shop.catalogue.models import Product, Variant
from shop.catalogue.services import refresh_search_text
from shop.extensions import db
from shop.inventory import reasons, valuation
from shop.inventory.services import record_movement, stock_for

VARIANT_FIELDS = (
    "sku", "option1", "option2", "price", "cost", "weight_g", "length_mm", "width_mm",
    "height_mm", "tax_class_id", "barcode", "is_active", "position", "image_id",
)  # fmt: skip
STOCK_FIELDS = (
    "reorder_point",
    "reorder_quantity",
    "supplier_id",
    "lead_time_days",
    "bin_location",
)


def _unique(column, value, exclude_id: int | None, message: str, field: str) -> None:
    if not value:
        return
    query = sa.select(Variant.id).where(column == value)
    if exclude_id is not None:
        query = query.where(Variant.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise CatalogueError(message, field=field)


def _check_image(product: Product, data: dict) -> None:
    """The photo a variant shows is one of its own product's (or none: the first)."""
    if data.get("image_id") in (None, ""):
        data["image_id"] = None
    elif data["image_id"] not in {image.id for image in product.images}:
        raise CatalogueError("Choose one of this product's photos.", field="image_id")


def save_variant(
    *, product: Product, data: dict, variant: Variant | None = None, opening_stock: int = 0,
    user=None,
) -> Variant:  # fmt: skip
    """Create or update a variant, its stock settings and (when new) its opening stock."""
    data = dict(data)
    data["sku"] = (data.get("sku") or "").strip().upper()
    data["barcode"] = (data.get("barcode") or "").strip() or None
    _check_image(product, data)
    exclude = variant.id if variant is not None else None
    _unique(Variant.sku, data["sku"], exclude, "This SKU is already used.", "sku")
    _unique(Variant.barcode, data["barcode"], exclude, "This barcode is already used.", "barcode")
    new_cost = None
    if variant is None:
        variant = Variant(product=product)
        db.session.add(variant)
    elif data.get("cost") is not None and data["cost"] != variant.cost:
        new_cost = data.pop("cost")  # a revaluation of the units on hand, below
    for name in VARIANT_FIELDS:
        if name in data:
            value = data[name]
            setattr(variant, name, value.strip() if isinstance(value, str) else value)
    variant.option1 = variant.option1 or None
    variant.option2 = variant.option2 or None
    db.session.flush()
    stock = stock_for(variant.id)
    for name in STOCK_FIELDS:
        if name in data:
            setattr(stock, name, data[name] if data[name] != "" else None)
    if new_cost is not None:
        valuation.revalue(variant=variant, new_cost=new_cost, user=user)
    if opening_stock:
        record_movement(
            variant_id=variant.id, quantity=opening_stock, reason=reasons.INITIAL, user=user,
            reference=variant.sku,
        )  # fmt: skip
    db.session.refresh(product)
    refresh_search_text(product)
    db.session.flush()
    return variant
