"""What the listings and the product pages show of the catalogue with its stock and ship dates.

A listing page costs a fixed number of queries however many products it
shows: the page of products (shop.catalogue.queries), then one aggregate query
for their prices and stock, and one for their images. Listings never load
variant objects; the product page does, with its stock and supplier joined in.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop.catalogue.models import Product, ProductImage, Variant
from shop.catalogue.queries import ADMIN_PER_PAGE, search_words, sellable_products
from shop.extensions import db
from shop.inventory.models import StockLevel
from shop.promise.availability import Availability, availability_for
from shop.purchasing.models import Supplier


def listing_options():
    return (
        selectinload(Product.variants).joinedload(Variant.stock).joinedload(StockLevel.supplier),
        selectinload(Product.images),
    )


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


def free_stock():
    """A variant's free units (on hand less allocated; none without a stock row), as SQL:
    what availability_for() takes as `free` (it counts below zero as none)."""
    return sa.func.coalesce(StockLevel.on_hand - StockLevel.allocated, 0)


def cards_for(products: list[Product]) -> list[ProductCard]:
    """Cards for a page of products in two queries, whatever the number of products."""
    ids = [p.id for p in products]
    if not ids:
        return []
    default_lead = current_app.config["DEFAULT_LEAD_TIME_DAYS"]
    lead = sa.func.coalesce(StockLevel.lead_time_days, Supplier.lead_time_days, default_lead)
    free = free_stock()
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
    query = sellable_products().where(Product.slug == slug).options(*listing_options())
    return db.session.scalar(query)


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
        query = query.where(Product.search_text.contains(word, autoescape=True))
    query = query.order_by(Product.name, Product.id).options(*admin_product_options())
    return db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
