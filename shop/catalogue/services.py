"""Changing the catalogue: categories, products, images. A variant is saved with its stock
settings and opening stock, so that use case lives above inventory (shop.inventory.variants)."""

import sqlalchemy as sa

from shop import media
from shop.catalogue.errors import CatalogueError
from shop.catalogue.models import Category, Product, ProductImage, Variant
from shop.extensions import db
from shop.text import slugify


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
    """The row goes now; its files once that is committed (a rollback keeps both). The
    variants that showed it show the product's first photo again."""
    media.discard_after_commit(image.filename)
    db.session.execute(sa.update(Variant).where(Variant.image_id == image.id).values(image_id=None))
    db.session.delete(image)
    db.session.flush()
