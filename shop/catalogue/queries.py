"""Reading the catalogue: listings, search, one product. No writes here.

Every listing loads products, variants, stock and images in a fixed number of
queries, however many products a page shows: variants and images by selectinload,
each variant's stock row and supplier joined into the variants' query.
"""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop.catalogue.models import Category, Product, Variant
from shop.extensions import db
from shop.inventory.models import StockLevel

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
    query = _sellable_products().options(*listing_options()).order_by(Product.created_at.desc())
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
        query.options(*listing_options()),
        page=page,
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


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
