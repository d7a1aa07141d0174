"""Reading the catalogue: listings, one product. No writes here (the storefront's search is
shop.search).

Which products a page lists, and in what order. What a listing shows of each
(price range, stock, ship date) and the product page with its stock are read in
shop.promise.listings, above the stock and the purchase orders they read.
"""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import defer

from shop.catalogue.models import Category, Product, Variant
from shop.extensions import db

SORTS = {
    "name": "Name",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "newest": "Newest",
}
MAX_SEARCH_WORDS = 8


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


def sellable_products():
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
    query = sellable_products().where(Product.category_id.in_(subtree_ids(category)))
    return _paginate(_sorted(query, sort), page)


def sitemap_products() -> list[tuple[str, datetime]]:
    """(slug, updated_at) of every product on sale, in one query (the sitemap)."""
    columns = sellable_products().with_only_columns(Product.slug, Product.updated_at)
    return [tuple(row) for row in db.session.execute(columns.order_by(Product.id))]


def category_slugs() -> list[str]:
    return list(db.session.scalars(sa.select(Category.slug).order_by(Category.id)))


def featured_products(limit: int = 8) -> list[Product]:
    query = sellable_products().options(*card_columns()).order_by(Product.created_at.desc())
    return list(db.session.scalars(query.limit(limit)))


def search_words(text: str) -> list[str]:
    words = [w for w in text.lower().split() if w][:MAX_SEARCH_WORDS]
    return [w[:50] for w in words]


def _paginate(query, page: int):
    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    return db.paginate(
        query.options(*card_columns()),
        page=page,
        per_page=per_page,
        max_per_page=per_page,
        error_out=False,
    )


def card_columns():
    # A card shows neither the description nor the search text: leave them in the database.
    return (defer(Product.description), defer(Product.search_text))


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
