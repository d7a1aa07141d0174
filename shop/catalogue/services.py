"""Changing the catalogue: categories, products, variants, images."""

import re
import unicodedata

import sqlalchemy as sa

from shop import media
from shop.catalogue.errors import CatalogueError
from shop.catalogue.models import Category, Product, ProductImage, Variant
from shop.extensions import db
from shop.inventory import reasons, valuation
from shop.inventory.services import record_movement, stock_for


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "item"


def _unique_slug(model, text: str, exclude_id: int | None = None) -> str:
    base = slugify(text)[:90]
    slug, n = base, 2
    while True:
        query = sa.select(model.id).where(model.slug == slug)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.scalar(query) is None:
            return slug
        slug, n = f"{base}-{n}", n + 1


# --- categories ------------------------------------------------------------------


def save_category(
    *, name: str, parent_id: int | None, description: str = "", position: int = 0,
    category: Category | None = None,
) -> Category:  # fmt: skip
    """Create a category, or update one; a category cannot sit below itself."""
    # The parent is checked before a new row joins the session: looking the parent
    # up would otherwise flush a category that has no name yet.
    if parent_id is not None:
        parent = db.session.get(Category, parent_id)
        if parent is None:
            raise CatalogueError("Choose an existing parent category.", field="parent_id")
        if category is not None and (parent.id == category.id or category in parent.ancestors()):
            raise CatalogueError("A category cannot sit inside itself.", field="parent_id")
    if category is None:
        category = Category(slug=_unique_slug(Category, name))
        db.session.add(category)
    category.name = name.strip()
    category.parent_id = parent_id
    category.description = description.strip()
    category.position = position
    db.session.flush()
    return category


# --- products --------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name", "description", "category_id", "option1_name", "option2_name", "is_active",
    "backorderable",
)  # fmt: skip


def save_product(*, data: dict, product: Product | None = None) -> Product:
    if db.session.get(Category, data.get("category_id")) is None:
        raise CatalogueError("Choose an existing category.", field="category_id")
    if product is None:
        product = Product(slug=_unique_slug(Product, data["name"]))
        db.session.add(product)
    for name in PRODUCT_FIELDS:
        if name in data:
            value = data[name]
            setattr(product, name, value.strip() if isinstance(value, str) else value)
    product.option1_name = product.option1_name or None
    product.option2_name = product.option2_name or None
    db.session.flush()
    refresh_search_text(product)
    return product


def refresh_search_text(product: Product) -> None:
    """Keep the one column that search looks at in step with the product."""
    skus = " ".join(v.sku for v in product.variants)
    product.search_text = " ".join([product.name, skus, product.description]).lower()


# --- variants --------------------------------------------------------------------

VARIANT_FIELDS = (
    "sku", "option1", "option2", "price", "cost", "weight_g", "length_mm", "width_mm",
    "height_mm", "tax_class_id", "barcode", "is_active", "position",
)  # fmt: skip
STOCK_FIELDS = (
    "reorder_point",
    "reorder_quantity",
    "supplier_id",
    "lead_time_days",
    "bin_location",
)


def _check_unique(column, value, exclude_id: int | None, message: str, field: str) -> None:
    if not value:
        return
    query = sa.select(Variant.id).where(column == value)
    if exclude_id is not None:
        query = query.where(Variant.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise CatalogueError(message, field=field)


def save_variant(
    *, product: Product, data: dict, variant: Variant | None = None, opening_stock: int = 0,
    user=None,
) -> Variant:  # fmt: skip
    """Create or update a variant, its stock settings and (when new) its opening stock."""
    data = dict(data)
    data["sku"] = (data.get("sku") or "").strip().upper()
    data["barcode"] = (data.get("barcode") or "").strip() or None
    exclude = variant.id if variant is not None else None
    _check_unique(Variant.sku, data["sku"], exclude, "This SKU is already used.", "sku")
    _check_unique(
        Variant.barcode, data["barcode"], exclude, "This barcode is already used.", "barcode"
    )
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


# --- images ----------------------------------------------------------------------


def add_image(*, product: Product, data: bytes, alt: str = "") -> ProductImage:
    """Keep an uploaded image (checked, re-drawn and sized, see shop.media) as the
    product's last."""
    try:
        filename = media.store_image(data, name=product.slug[:60])
    except media.MediaError as err:
        raise CatalogueError(err.message, field="image") from err
    image = ProductImage(
        product=product, filename=filename, alt=alt or product.name, position=len(product.images)
    )
    db.session.add(image)
    db.session.flush()
    return image


def remove_image(*, image: ProductImage) -> None:
    """The row goes now; its files once that is committed (a rollback keeps both)."""
    media.discard_after_commit(image.filename)
    db.session.delete(image)
    db.session.flush()
