"""Reading the catalogue: listings, search, one product. No writes here.

A listing page costs a fixed number of queries however many products it
shows: the page of products, then one aggregate query for their prices and
stock, and one for their images. Listings never load variant objects; the
product page does, with its stock and supplier joined in.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import defer, selectinload

from shop.catalogue.models import Category, Product, ProductImage, Variant
from shop.extensions import db
from shop.inventory.availability import Availability, availability_for
from shop.inventory.models import StockLevel
from shop.purchasing.models import Supplier

SORTS = {
    "name": "Name",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "newest": "Newest",
}
MAX_SEARCH_WORDS = 8


def listing_options():
    return (
        selectinload(Product.variants).joinedload(Variant.stock).joinedload(StockLevel.supplier),
        selectinload(Product.images),
    )


def all_categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)))


def top_categories() -> list[Category]:
    return [c for c in all_categories() if c.parent_id is None]


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(sa.select(Category).where(Category.slug == slug))


def subtree_ids(category: Category) -> list[int]:
    """The category and every category below it (the tree is small: one query)."""
    children: dict[int | None, list[int]] = {}
    for cid, parent_id in db.session.execute(sa.select(Category.id, Category.parent_id)):
        children.setdefault(parent_id, []).append(cid)
    ids, todo = [], [category.id]
    while todo:
        cid = todo.pop()
        ids.append(cid)
        todo.extend(children.get(cid, []))
    return ids


def _sellable_products():
    has_active_variant = (
        sa.select(Variant.id)
        .where(Variant.product_id == Product.id, Variant.is_active.is_(True))
        .exists()
    )
    return sa.select(Product).where(Product.is_active.is_(True), has_active_variant)


def _sorted(query, sort: str):
    if sort in ("price_asc", "price_desc"):
        min_price = (
            sa.select(sa.func.min(Variant.price))
            .where(Variant.product_id == Product.id, Variant.is_active.is_(True))
            .scalar_subquery()
        )
        order = min_price.asc() if sort == "price_asc" else min_price.desc()
        return query.order_by(order, Product.id)
    if sort == "newest":
        return query.order_by(Product.created_at.desc(), Product.id.desc())
    return query.order_by(Product.name, Product.id)


def products_in_category(category: Category, *, sort: str = "name", page: int = 1):
    query = _sellable_products().where(Product.category_id.in_(subtree_ids(category)))
    return _paginate(_sorted(query, sort), page)


def featured_products(limit: int = 8) -> list[Product]:
    query = _sellable_products().options(*_card_columns()).order_by(Product.created_at.desc())
    return list(db.session.scalars(query.limit(limit)))


def search_words(text: str) -> list[str]:
    words = [w for w in text.lower().split() if w][:MAX_SEARCH_WORDS]
    return [w[:50] for w in words]


def search_products(text: str, *, sort: str = "name", page: int = 1):
    """Products whose name, SKUs or description contain every word of `text`."""
    words = search_words(text)
    query = _sellable_products()
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Product.search_text.like(pattern, escape="\\"))
    return _paginate(_sorted(query, sort), page)


def _paginate(query, page: int):
    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    return db.paginate(
        query.options(*_card_columns()),
        page=page,
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


def _card_columns():
    # A card shows neither the description nor the search text: leave them in the database.
    return (defer(Product.description), defer(Product.search_text))


@dataclass(frozen=True)
class CardImage:
    filename: str
    alt: str


@dataclass(frozen=True)
class ProductCard:
    """What a listing shows of a product: price range, best availability, first image."""

    product: Product
    price_min: int
    price_max: int
    availability: Availability
    image: CardImage | None


def cards_for(products: list[Product]) -> list[ProductCard]:
    """Cards for a page of products in two queries, whatever the number of products."""
    ids = [p.id for p in products]
    if not ids:
        return []
    default_lead = current_app.config["DEFAULT_LEAD_TIME_DAYS"]
    lead = sa.func.coalesce(StockLevel.lead_time_days, Supplier.lead_time_days, default_lead)
    free = sa.func.coalesce(StockLevel.on_hand - StockLevel.allocated, 0)
    figures = {
        row.product_id: row
        for row in db.session.execute(
            sa.select(
                Variant.product_id,
                sa.func.min(Variant.price).label("price_min"),
                sa.func.max(Variant.price).label("price_max"),
                sa.func.max(free).label("free"),
                sa.func.min(lead).label("lead"),
            )
            .outerjoin(StockLevel, StockLevel.variant_id == Variant.id)
            .outerjoin(Supplier, Supplier.id == StockLevel.supplier_id)
            .where(Variant.product_id.in_(ids), Variant.is_active.is_(True))
            .group_by(Variant.product_id)
        )
    }
    images: dict[int, CardImage] = {}
    for product_id, filename, alt in db.session.execute(
        sa.select(ProductImage.product_id, ProductImage.filename, ProductImage.alt)
        .where(ProductImage.product_id.in_(ids))
        .order_by(ProductImage.position.desc(), ProductImage.id.desc())
    ):
        images[product_id] = CardImage(filename, alt)  # the last written is the first image
    return [_card(p, figures[p.id], images.get(p.id)) for p in products if p.id in figures]


def _card(product: Product, row, image: CardImage | None) -> ProductCard:
    available = availability_for(
        free=max(row.free, 0), lead_days=row.lead, backorderable=product.backorderable
    )
    return ProductCard(product, row.price_min, row.price_max, available, image)


def product_by_slug(slug: str) -> Product | None:
    query = _sellable_products().where(Product.slug == slug).options(*listing_options())
    return db.session.scalar(query)


# --- back office -----------------------------------------------------------------

ADMIN_PER_PAGE = 50


def category_tree() -> list[tuple[Category, int]]:
    """Every category in tree order, each with its depth (0 for a top category)."""
    children: dict[int | None, list[Category]] = {}
    for category in all_categories():
        children.setdefault(category.parent_id, []).append(category)
    tree, seen = [], set()
    todo = [(c, 0) for c in reversed(children.get(None, []))]
    while todo:
        category, depth = todo.pop()
        if category.id in seen:
            continue
        seen.add(category.id)
        tree.append((category, depth))
        todo.extend((c, depth + 1) for c in reversed(children.get(category.id, [])))
    return tree


def product_counts() -> dict[int, int]:
    """How many products sit directly in each category, by category id."""
    rows = db.session.execute(
        sa.select(Product.category_id, sa.func.count(Product.id)).group_by(Product.category_id)
    )
    return {category_id: count for category_id, count in rows}


def admin_product_options():
    """Everything a back-office product page shows, loaded up front."""
    return (
        selectinload(Product.category),
        selectinload(Product.variants)
        .selectinload(Variant.stock)
        .selectinload(StockLevel.supplier),
        selectinload(Product.variants).selectinload(Variant.tax_class),
        selectinload(Product.images),
    )


def admin_products(text: str = "", *, page: int = 1, per_page: int = ADMIN_PER_PAGE):
    """Every product, active or not, whose name, SKUs or description hold each word."""
    query = sa.select(Product)
    for word in search_words(text):
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Product.search_text.like(pattern, escape="\\"))
    query = query.order_by(Product.name, Product.id).options(*admin_product_options())
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
